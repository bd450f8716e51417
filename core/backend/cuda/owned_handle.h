// OwnedHandle: a move-only owner of a CUDA-library handle or descriptor
// (cudaStream_t, cublasHandle_t, cudnnTensorDescriptor_t, ...), all of which
// are pointers to opaque structs, destroyed by the library's destroy call.
//
//   OwnedHandle<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor> x(
//       createHandle<cudnnTensorDescriptor_t>(cudnnCreateTensorDescriptor));
#pragma once

#include <memory>
#include <type_traits>

namespace lpm {

template <typename Handle, auto destroy>
struct HandleDestroyer {
    void operator()(Handle handle) const noexcept
    {
        destroy(handle); // a destructor cannot report a failure
    }
};

template <typename Handle, auto destroy>
using OwnedHandle = std::unique_ptr<std::remove_pointer_t<Handle>, HandleDestroyer<Handle, destroy>>;

} // namespace lpm
