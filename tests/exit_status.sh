#!/bin/sh
# exit_status.sh COMMAND [ARGUMENTS...]: runs the command and prints
# "exit status N" last. A test that passes on a PASS_REGULAR_EXPRESSION has
# its exit status ignored by CTest; with FAIL_REGULAR_EXPRESSION
# "exit status [1-9]" a crash after the matched line still fails it.
"$@"
status=$?
echo "exit status $status"
exit "$status"
