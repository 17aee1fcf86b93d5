"""nbgrader configuration of the course: run nbgrader from this folder (the course root).

Layout: source/<assignment>/ holds the instructor's notebooks with solutions and hidden
tests, one assignment per chapter, named chNN_slug after chapters/NN_slug.ipynb; nbgrader
finds them there, so this file names none.  `make release` writes release/ with
`nbgrader generate_assignment`; submitted/, autograded/ and feedback/ are nbgrader's own folders.
"""
c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "dl-fundamentals"
# Files beside a source notebook that are for the course's own tests, not for students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "realistic_bug.yml"]

# Grading: every autograde and validate run executes the student's code in the sandboxed kernel
# "course-sandbox" (installed by `make venv`).  Autograde runs the graded test cells in the
# judge, outside that kernel (exercises/coursegrader; the README's "Grading and its threat model").
from coursegrader.execute import CourseExecute  # noqa: E402
from coursegrader.normalize import NormalizeSubmission, RestoreHiddenTests  # noqa: E402

c.Execute.kernel_name = "course-sandbox"
c.Autograde.sanitize_preprocessors = [
    NormalizeSubmission,
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    RestoreHiddenTests,
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    CourseExecute,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Each cell may run for at most a minute.  Only Execute.timeout changes this in
# nbgrader 0.9 (ExecutePreprocessor.timeout is ignored, nbgrader #1463).
c.Execute.timeout = 60
# While grading, NBGRADER_EXECUTION is set; notebooks may use it to train less.
# Tracebacks show the error and its message only (IPython's "Minimal" mode), so that a failed
# hidden test reports which case failed without printing the hidden test's source.
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode=Minimal"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback shows each test cell without its hidden part (the failing assertion still
# appears in the traceback), so that hidden tests stay hidden for the next cohort.
# Its formulas are typeset by MathJax inlined into the page: the course's template folder, first
# in the search path, replaces nbgrader's CDN MathJax (coursegrader/feedback.py), so a feedback
# file makes no request to another host and reads offline.
from coursegrader.feedback import ClearHiddenTestsForFeedback, template_dirs  # noqa: E402

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ClearHiddenTestsForFeedback,
]
c.HTMLExporter.extra_template_basedirs = template_dirs()
c.HTMLExporter.filters = {"inline_mathjax": "coursegrader.feedback.inline_mathjax"}

# `make collect` (nbgrader zip_collect): a class's zip, as downloaded from the learning platform,
# holds one notebook per student, named <student>_<assignment>.ipynb (alice_chNN_slug.ipynb) or
# <student>/<assignment>.ipynb; student ids are letters, digits, '.' and '-'.  Each lands in
# submitted/<student>/<assignment>/<assignment>.ipynb.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9.-]+)[_/](?P<file_id>ch\d\d_[a-z0-9_]+\.ipynb)$")
