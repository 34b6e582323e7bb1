#!/usr/bin/env bash
# The long modes of the systematic trust tests (docs/storage.md, docs/server.md). The README's test command runs each
# of them bounded to seconds; this runs them at length (tens of minutes on a 2-core machine). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export BITSIEVE_LONG_TESTS=1 BITSIEVE_READER_SECONDS=${BITSIEVE_READER_SECONDS:-120}
dotnet build BitSieve.sln -c Release
# Log, column, originals and points.db damage; power loss over BitSieve's own files; readers beside checkpoints;
# kill -9 during imports, checkpoints and compactions.
dotnet test tests/BitSieve.Tests -c Release --no-build --filter "FullyQualifiedName~LogDamage|FullyQualifiedName~PowerLoss"
# The two that run the bitsieve command as child processes.
dotnet test tests/BitSieve.Cli.Tests -c Release --no-build --filter "FullyQualifiedName~ReadersDuringCheckpoints|FullyQualifiedName~CrashTests"
# Every HTTP route, 25 times the bodies of the default run, from a fresh seed (printed; BITSIEVE_FUZZ_SEED replays it).
dotnet test tests/BitSieve.Server.Tests -c Release --no-build --filter "FullyQualifiedName~HttpFuzz"
