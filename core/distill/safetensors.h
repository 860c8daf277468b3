#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace slimlab {

/// Reads a safetensors file (an 8-byte little-endian header length, a JSON header of
/// {name: {dtype, shape, data_offsets}} and an optional "__metadata__" map of strings, then the
/// raw little-endian tensor bytes) without any library. Supports F64, F32, F16, BF16, I64, I32,
/// I16, I8, U8 and BOOL. Holds files to the reference reader's rules and throws InputError naming
/// the file and the tensor or field for any other: a header that is not a JSON object starting
/// with '{' (trailing spaces are allowed), a tensor name or entry key given twice, keys other than
/// dtype/shape/data_offsets, non-string metadata, unknown dtypes, absurd shapes, sizes that do not
/// match dtype x shape, and data_offsets that do not cover the data exactly (back to back from 0
/// to the end of the file: no overlap, no hole, nothing after the last tensor).
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path);

/// Writes tensors in the same format (int64 kept, everything else as float32; the header padded
/// with spaces so the data starts 8-byte aligned; used by tests and to hand weights to PyTorch:
/// `safetensors.torch.load_file`).
void write_safetensors(const std::string& path,
                       const std::map<std::string, torch::Tensor>& tensors);

}  // namespace slimlab
