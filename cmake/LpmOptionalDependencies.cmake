# Resolves LPM_WITH_CUDA and LPM_WITH_MPI (AUTO/ON/OFF) into LPM_HAVE_CUDA and
# LPM_HAVE_MPI, and a one-line summary of each for the configure message.

set(LPM_HAVE_CUDA OFF)
set(LPM_CUDA_SUMMARY "off")
if(NOT LPM_WITH_CUDA STREQUAL "OFF")
  find_package(CUDAToolkit QUIET)
  find_library(LPM_CUDNN_LIBRARY NAMES cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64)
  if(CUDAToolkit_FOUND AND TARGET CUDA::cublas AND LPM_CUDNN_LIBRARY)
    # The toolchain is here; the CUDA backend itself is the GPU issue's work and
    # is not in this tree yet, so nothing is built with it.
    set(LPM_CUDA_SUMMARY "toolkit ${CUDAToolkit_VERSION}, cuBLAS and cuDNN found; CUDA backend not available yet")
  else()
    set(LPM_CUDA_SUMMARY "not found (needs CUDA toolkit, cuBLAS and cuDNN)")
  endif()
  if(LPM_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "LPM_WITH_CUDA=ON, but the CUDA backend is not available yet in this tree")
  endif()
endif()

set(LPM_HAVE_MPI OFF)
set(LPM_MPI_SUMMARY "off")
if(NOT LPM_WITH_MPI STREQUAL "OFF")
  find_package(MPI QUIET COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(LPM_MPI_SUMMARY "found (${MPI_CXX_LIBRARY_VERSION_STRING}); multi-process runs not available yet")
  else()
    set(LPM_MPI_SUMMARY "not found (install libopenmpi-dev)")
  endif()
  if(LPM_WITH_MPI STREQUAL "ON")
    message(FATAL_ERROR "LPM_WITH_MPI=ON, but multi-process support is not available yet in this tree")
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
