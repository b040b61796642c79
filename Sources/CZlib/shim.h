// Shim header exposing the system zlib to Swift (the project's only system library).
#ifndef FSB_CZLIB_SHIM_H
#define FSB_CZLIB_SHIM_H
#include <zlib.h>
#endif
