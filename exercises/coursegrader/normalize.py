"""``NormalizeSubmission``: rebuild a submitted notebook on the instructor's cells.

The first sanitizing step of ``autograde``.  The result has exactly the released notebook's
cells, in its order and with its metadata; each solution cell holds the student's answer (the
first cell that carries that solution's ``grade_id``).  Every other cell the student added stays
where it was, as a plain cell without grading metadata.  So whatever a student does to the
structure (duplicating a test cell, deleting one, injecting a graded cell worth 50 points,
editing a cell's metadata or points) the notebook is graded on the instructor's cells, and the
log names the student and what was repaired, including each locked cell whose text the student
edited (and only those).  ``RestoreHiddenTests`` (nbgrader's ``OverwriteCells``) then puts the
hidden tests back into the test cells.  nbgrader's own check would report a changed checksum for
every test cell that has hidden tests, edited or not, because it compares the released cell with
the instructor's version; that report is left out, since the one above is exact.
"""
import copy
import os

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_solution(cell):
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def is_locked(cell):
    return "nbgrader" in cell.metadata and utils.is_locked(cell)


class NormalizeSubmission(NbGraderPreprocessor):
    """Rebuild the submission on the released notebook; see the module docstring."""

    def release_notebook(self, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(parent=self)
        path = os.path.join(coursedir.format_path(coursedir.release_directory, ".", info["assignment"]),
                            f"{info['notebook']}.ipynb")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} is missing: run `make release` before grading")
        return nbformat.read(path, as_version=4)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        release = self.release_notebook(resources)
        released = {grade_id(c): c for c in release.cells if grade_id(c)}
        answers, extras, seen, repairs = {}, {}, set(), []
        anchor = None
        for cell in nb.cells:
            gid = grade_id(cell)
            if gid in released and gid not in seen and cell.cell_type == released[gid].cell_type:
                seen.add(gid)
                anchor = gid
                if is_solution(released[gid]):
                    answers[gid] = cell.source
                if cell.metadata.get("nbgrader") != released[gid].metadata.get("nbgrader"):
                    repairs.append(f"reset the edited metadata of cell {gid!r}")
                if is_locked(released[gid]) and cell.source != released[gid].source:
                    repairs.append(f"the locked cell {gid!r} was edited; it is graded as released")
                continue
            if "nbgrader" in cell.metadata:
                repairs.append(f"kept an extra cell {gid!r} as a plain cell, without grading metadata")
            plain = copy.deepcopy(cell)
            plain.metadata.pop("nbgrader", None)
            extras.setdefault(anchor, []).append(plain)
        repairs += [f"restored the deleted cell {gid!r}" for gid in released if gid not in seen]
        cells = list(extras.get(None, []))
        for cell in release.cells:
            cell = copy.deepcopy(cell)
            if grade_id(cell) in answers:
                cell.source = answers[grade_id(cell)]
            cells.append(cell)
            cells += extras.get(grade_id(cell), [])
        nb.cells = cells
        for repair in repairs:
            self.log.warning("%s: %s", student, repair)
        return nb, resources


class RestoreHiddenTests(OverwriteCells):
    """nbgrader's ``OverwriteCells`` without its checksum warnings (see the module docstring)."""

    def report_change(self, name, attr, old, new):
        if attr != "checksum":
            super().report_change(name, attr, old, new)
