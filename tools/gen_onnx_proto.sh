#!/usr/bin/env bash
# Generates Sources/GhostExport/onnx.pb.swift from tools/onnx/onnx.proto3 (ONNX v1.20.0, commit
# bca0315ff3e56bb5847509ca32fadb8d87f680e1, file onnx/onnx.proto3). Run once by hand when the proto changes;
# the output is committed, so the build never needs protoc or the plugin.
# Needs Debian's protobuf-compiler (protoc) and protoc-gen-swift built from apple/swift-protobuf 1.39.0 in a
# scratch folder outside the package (default /tmp/ghostkit-protoc), never part of the build.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${SCRATCH:-/tmp/ghostkit-protoc}"
PLUGIN="$SCRATCH/swift-protobuf/.build/release/protoc-gen-swift"
if [ ! -x "$PLUGIN" ]; then
  mkdir -p "$SCRATCH"
  [ -d "$SCRATCH/swift-protobuf" ] || git clone -q --branch 1.39.0 https://github.com/apple/swift-protobuf \
    "$SCRATCH/swift-protobuf"
  (cd "$SCRATCH/swift-protobuf" && swift build -c release --product protoc-gen-swift)
fi
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
protoc --plugin=protoc-gen-swift="$PLUGIN" --swift_opt=Visibility=Public \
  --proto_path=tools/onnx --swift_out=Sources/GhostExport tools/onnx/onnx.proto3
mv Sources/GhostExport/onnx.pb.swift Sources/GhostExport/ONNXProto.pb.swift
echo "wrote Sources/GhostExport/ONNXProto.pb.swift"
