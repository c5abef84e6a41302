# C types for the compiled copy of prefilter.py (setup.py, piwarden.compiled); the Python
# source runs the same without them.
cimport cython

cpdef _collect(Py_ssize_t pattern, Py_ssize_t start, Py_ssize_t end, object _flags,
               list found)

@cython.locals(data=bytes, found=list, windows=list, places=list, ipv6=list, start=Py_ssize_t,
               negative_end=Py_ssize_t, pattern=Py_ssize_t, kind=int, words=list)
cpdef candidates(str text)
