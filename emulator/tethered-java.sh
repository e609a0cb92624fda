#!/bin/sh
# Runs `java "$@"` (DynamoDB Local) and stops it when the Node process that started it goes
# away, however that process ends (Ctrl-C, a crash, SIGKILL, a killed test worker): our stdin
# is a pipe from it, and the pipe closes when it exits. Without this, a JVM outlives its parent.
java "$@" </dev/null &
jvm=$!
# A background job's stdin is /dev/null unless redirected explicitly, hence fd 3.
exec 3<&0
(
  cat <&3 >/dev/null
  kill "$jvm" 2>/dev/null
) &
watcher=$!
trap 'kill "$jvm" 2>/dev/null' TERM INT
wait "$jvm"
status=$?
# A trapped signal interrupts the first wait; the second one waits for the JVM to be gone.
wait "$jvm" 2>/dev/null
kill "$watcher" 2>/dev/null
exit "$status"
