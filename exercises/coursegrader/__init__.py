"""The course's grading machinery, on top of nbgrader.

* :mod:`coursegrader.sandbox` and :mod:`coursegrader.kernel`: the sandboxed grading kernel
  (bubblewrap and resource limits), installed as the kernelspec ``course-sandbox``;
* :mod:`coursegrader.execute`: ``CourseExecute``, nbgrader's ``Execute`` with a judge that runs
  the graded test cells outside the student's kernel, output caps while a cell runs, and
  recovery from dead or hung kernels;
* :mod:`coursegrader.wire`: how values cross between the student's kernel and the judge;
* :mod:`coursegrader.normalize`: ``NormalizeSubmission``, which rebuilds a submission from the
  instructor's cells before nbgrader reads it.

``exercises/nbgrader_config.py`` wires them in; the README's "Grading and its threat model" says
what they guarantee.
"""
