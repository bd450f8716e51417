// expectError: runs an action and expects it to throw ErrorType with a message
// containing every given part (file names, values, what was expected).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tensor/error.h"

namespace lpm {

template <typename ErrorType = FileError>
void expectError(const std::function<void()>& action, const std::vector<std::string>& parts)
{
    try {
        action();
        ADD_FAILURE() << "no exception; expected one mentioning " << parts.front();
    } catch (const ErrorType& error) {
        for (const std::string& part : parts)
            EXPECT_THAT(error.what(), ::testing::HasSubstr(part));
    }
}

} // namespace lpm
