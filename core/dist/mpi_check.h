// Checking MPI calls (mpi_session.cpp, link_probe.cpp; built with MPI only).
#pragma once

#include <mpi.h>

#include <string>

#include "tensor/error.h"

namespace lpm {

// Throws lpm::Error naming `call` and MPI's description of `code` unless it is MPI_SUCCESS.
inline void checkMpi(int code, const char* call)
{
    if (code == MPI_SUCCESS)
        return;
    char text[MPI_MAX_ERROR_STRING] = {};
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
        length = 0;
    throw Error(std::string("MPI: ") + call
                + " failed: " + (length > 0 ? std::string(text, size_t(length)) : "error " + std::to_string(code)));
}

} // namespace lpm
