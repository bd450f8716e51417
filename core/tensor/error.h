// Typed errors thrown by the core. The core never exits; callers (CLI, GUI)
// catch lpm::Error and show what() to the user.
#pragma once

#include <stdexcept>
#include <string>

namespace lpm {

// Base of every error the core throws on purpose.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A caller passed a value the callee cannot work with (bad shape, bad option).
class InvalidArgument : public Error {
public:
    using Error::Error;
};

// A file could not be read or written, or its content is malformed.
class FileError : public Error {
public:
    using Error::Error;
};

} // namespace lpm
