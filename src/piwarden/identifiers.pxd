# C types for the compiled copy of identifiers.py (setup.py, piwarden.compiled); the Python
# source runs the same without them.
cimport cython

@cython.locals(total=Py_ssize_t)
cpdef str resident_id_check_char(str first17)

cpdef str resident_id_problem(str number, object today)
cpdef bint is_resident_id(str number, object today)

cpdef bint is_prc_passport(str number)
cpdef bint luhn_ok(str digits)

@cython.locals(length=Py_ssize_t, head2=int, head4=int)
cpdef str card_scheme(str digits)

cpdef bint is_card_number(str digits)
cpdef bint is_cn_mobile(str national)
cpdef bint is_us_phone(str national)
cpdef bint is_uk_phone(str national)
cpdef bint is_us_ssn(str digits)
