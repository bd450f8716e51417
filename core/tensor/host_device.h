// LPM_HOST_DEVICE marks small inline functions that the CUDA kernels call
// too (geometry helpers, the keyed random draws). In plain C++ it is empty.
#pragma once

#if defined(__CUDACC__)
#define LPM_HOST_DEVICE __host__ __device__
#else
#define LPM_HOST_DEVICE
#endif
