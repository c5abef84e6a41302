# C types for the compiled copy of detect.py (setup.py, piwarden.compiled); the Python source
# runs the same without them. Functions the tests call stay callable from Python (cpdef).
cimport cython

cdef object _finding(str kind, Py_ssize_t start, Py_ssize_t end, double confidence)

@cython.locals(last=Py_ssize_t, length=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t,
               skip_to=Py_ssize_t, taken=list, found=list, windows=list)
cpdef list scan(str text)

@cython.locals(window=str, before=str, after=str, parts=list, groups=list)
cpdef object _window(str text, Py_ssize_t start, Py_ssize_t end)

cdef bint _overlaps(list taken, Py_ssize_t start, Py_ssize_t end)

@cython.locals(n=Py_ssize_t, plain=bint, plus=bint, grouped_by_4=bint)
cdef object _classify(str text, str digits, tuple sizes, frozenset seps, Py_ssize_t start,
                      Py_ssize_t end, str sep_before, str sep_after)

@cython.locals(n=Py_ssize_t, paren=bint, span_start=Py_ssize_t)
cdef object _phone(str text, str digits, tuple sizes, frozenset seps, Py_ssize_t start,
                   Py_ssize_t end, bint plus)

@cython.locals(address=str, before=str, after_name=bint)
cdef object _ipv4(str text, Py_ssize_t start, Py_ssize_t end, str sep_before, str sep_after)

@cython.locals(length=Py_ssize_t, tok_start=Py_ssize_t, tok_end=Py_ssize_t,
               left_letter=bint, right_letter=bint)
cdef tuple _token(str text, Py_ssize_t start, Py_ssize_t end)

cdef object _passport(str text, Py_ssize_t start, Py_ssize_t end)
cdef bint _continues(str text, Py_ssize_t end)
cdef str _clause(str before)
@cython.locals(before=str)
cdef bint _context(str text, Py_ssize_t start, object words, Py_ssize_t reach=*)
@cython.locals(before=str, clause=str, references=list, accounts=list)
cdef bint _reference(str text, Py_ssize_t start)

@cython.locals(end=Py_ssize_t, start=Py_ssize_t, digits=Py_ssize_t, window_start=Py_ssize_t,
               group_start=Py_ssize_t, group_end=Py_ssize_t, place=Py_ssize_t)
cpdef list _place_windows(str text, list places)

@cython.locals(at=Py_ssize_t)
cdef Py_ssize_t _run_start(str text, Py_ssize_t at)

@cython.locals(resume=Py_ssize_t, at=Py_ssize_t, width=Py_ssize_t, local=Py_ssize_t)
cdef void _add_emails(str text, list taken) except *

@cython.locals(length=Py_ssize_t, resume=Py_ssize_t, begin=Py_ssize_t, stop=Py_ssize_t,
               colon=Py_ssize_t, left=Py_ssize_t, end=Py_ssize_t)
cdef void _add_ipv6(str text, list taken, list places) except *

@cython.locals(signs=list, at=Py_ssize_t)
cdef list _signs(str text)
