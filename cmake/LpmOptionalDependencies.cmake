# Resolves LPM_WITH_CUDA, LPM_WITH_MPI, LPM_WITH_ONNX and LPM_WITH_GUI
# (AUTO/ON/OFF) into LPM_HAVE_*, and a one-line summary of each for the
# configure message.

set(LPM_HAVE_CUDA OFF)
set(LPM_HAVE_NCCL OFF)
set(LPM_CUDA_SUMMARY "off")
if(NOT LPM_WITH_CUDA STREQUAL "OFF")
  find_package(CUDAToolkit QUIET)
  find_library(LPM_CUDNN_LIBRARY NAMES cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64)
  find_path(LPM_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include)
  if(CUDAToolkit_FOUND AND TARGET CUDA::cublas AND LPM_CUDNN_LIBRARY AND LPM_CUDNN_INCLUDE_DIR
     AND CUDAToolkit_NVCC_EXECUTABLE)
    # sm_90 = H100 and H200, the GPUs this project is lent; add more with
    # -DCMAKE_CUDA_ARCHITECTURES="80;90" (each one adds to the build time).
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "GPU architectures to build the CUDA kernels for")
    endif()
    set(CMAKE_CUDA_COMPILER ${CUDAToolkit_NVCC_EXECUTABLE})
    enable_language(CUDA)
    set(LPM_HAVE_CUDA ON)
    find_library(LPM_NCCL_LIBRARY NAMES nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64)
    find_path(LPM_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include)
    if(LPM_NCCL_LIBRARY AND LPM_NCCL_INCLUDE_DIR)
      set(LPM_HAVE_NCCL ON)
    endif()
    set(LPM_CUDA_SUMMARY "toolkit ${CUDAToolkit_VERSION} with cuBLAS and cuDNN (CUDA backend, sm ${CMAKE_CUDA_ARCHITECTURES}); NCCL ${LPM_HAVE_NCCL}")
  else()
    set(LPM_CUDA_SUMMARY "not found (needs the CUDA toolkit with nvcc, cuBLAS and cuDNN)")
    if(LPM_WITH_CUDA STREQUAL "ON")
      message(FATAL_ERROR "LPM_WITH_CUDA=ON, but ${LPM_CUDA_SUMMARY}")
    endif()
  endif()
endif()

set(LPM_HAVE_MPI OFF)
set(LPM_MPI_SUMMARY "off")
# LPM_WITH_MPI: Open MPI (Debian's libopenmpi-dev) for core/dist: lpm
# probe-links today; multi-process training is not available yet.
if(NOT LPM_WITH_MPI STREQUAL "OFF")
  set(MPI_CXX_SKIP_MPICXX ON CACHE BOOL "The MPI C API only, without the deprecated C++ bindings")
  find_package(MPI QUIET COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(LPM_HAVE_MPI ON)
    set(LPM_MPI_SUMMARY "found (MPI ${MPI_CXX_VERSION}): lpm probe-links; multi-process training not available yet")
  else()
    set(LPM_MPI_SUMMARY "not found (install openmpi-bin and libopenmpi-dev)")
    if(LPM_WITH_MPI STREQUAL "ON")
      message(FATAL_ERROR "LPM_WITH_MPI=ON, but MPI is ${LPM_MPI_SUMMARY}")
    endif()
  endif()
endif()

# LPM_WITH_ONNX: ONNX import (core/graph) with Debian's libonnx-dev, whose
# CMake package needs protobuf's (libprotobuf-dev) found first. Without it,
# the importer says what to install.
set(LPM_HAVE_ONNX OFF)
set(LPM_ONNX_SUMMARY "off")
if(NOT LPM_WITH_ONNX STREQUAL "OFF")
  find_package(Protobuf QUIET)
  if(Protobuf_FOUND)
    find_package(ONNX QUIET CONFIG)
  endif()
  if(Protobuf_FOUND AND TARGET onnx)
    set(LPM_HAVE_ONNX ON)
    set(LPM_ONNX_SUMMARY "import on (libonnx ${ONNX_VERSION}, protobuf ${Protobuf_VERSION})")
  else()
    set(LPM_ONNX_SUMMARY "not found (install libonnx-dev and libprotobuf-dev)")
    if(LPM_WITH_ONNX STREQUAL "ON")
      message(FATAL_ERROR "LPM_WITH_ONNX=ON, but ONNX is ${LPM_ONNX_SUMMARY}")
    endif()
  endif()
endif()

# LPM_WITH_GUI: the Qt 6 desktop application (Widgets, PrintSupport, Test,
# LinguistTools) with QCustomPlot's Qt 6 build (never the plain QCustomPlot
# name: that is the Qt 5 build).
set(LPM_HAVE_GUI OFF)
set(LPM_GUI_SUMMARY "off")
if(NOT LPM_WITH_GUI STREQUAL "OFF")
  find_package(Qt6 6.4 QUIET COMPONENTS Widgets PrintSupport Test LinguistTools)
  if(Qt6_FOUND)
    find_package(QCustomPlotQt6 CONFIG QUIET)
  endif()
  if(Qt6_FOUND AND QCustomPlotQt6_FOUND)
    set(LPM_HAVE_GUI ON)
    set(LPM_GUI_SUMMARY "Qt ${Qt6_VERSION} with QCustomPlot (lpm-studio)")
  else()
    set(LPM_GUI_SUMMARY "not found (install qt6-base-dev, qt6-tools-dev, qt6-l10n-tools, libqcustomplot-dev)")
    if(LPM_WITH_GUI STREQUAL "ON")
      message(FATAL_ERROR "LPM_WITH_GUI=ON, but Qt 6 or QCustomPlot (Qt 6) was not found: ${LPM_GUI_SUMMARY}")
    endif()
  endif()
endif()
