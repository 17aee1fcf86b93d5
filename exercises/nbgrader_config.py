"""nbgrader configuration of the course: run nbgrader from this folder (the course root).

Layout: source/<assignment>/ holds the instructor's notebooks with solutions and hidden
tests; `make release` writes release/ with `nbgrader generate_assignment`;
submitted/, autograded/ and feedback/ are nbgrader's own folders.
"""
c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "dl-fundamentals"
c.CourseDirectory.db_assignments = [{"name": "ch01_neuron"}]

# Each cell may run for at most a minute.  Only Execute.timeout changes this in
# nbgrader 0.9 (ExecutePreprocessor.timeout is ignored, nbgrader #1463).
c.Execute.timeout = 60
# While grading, NBGRADER_EXECUTION is set; notebooks may use it to train less.

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback shows each test cell without its hidden part (the failing assertion still
# appears in the traceback), so that hidden tests stay hidden for the next cohort.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
