# defines: dcumsum, norm2, Point, Matrix, TOLERANCE, np, floor
# magics: cell:cython
# ---
%%cython -a
import numpy as np
cimport numpy as cnp
from libc.math cimport sqrt
from math import floor
cdef double _square(double x):
    return x * x
cdef int helper(int n):
    return n
cpdef double norm2(double x, double y):
    return sqrt(_square(x) + _square(y))
def dcumsum(a, b):
    cdef int i
    for i in range(1, len(a)):
        b[i] = b[i - 1] + a[i]
cdef class Point:
    cdef public double x
class Matrix:
    pass
TOLERANCE = 1e-9
_private = 1
