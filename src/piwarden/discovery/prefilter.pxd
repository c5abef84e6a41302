# C types for the compiled copy of prefilter.py (setup.py, piwarden.compiled); the Python
# source runs the same without them.
cimport cython

@cython.locals(kind=Py_ssize_t)
cpdef _collect(Py_ssize_t pattern, Py_ssize_t start, Py_ssize_t end, object _flags,
               tuple found)

@cython.locals(data=bytes, windows=list, places=list, ipv6=list, words=list)
cpdef candidates(str text)
