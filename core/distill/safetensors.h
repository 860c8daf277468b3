#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace slimlab {

/// Reads a safetensors file (an 8-byte little-endian header length, a JSON header of
/// {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes) without any
/// library. Supports F32, F64, F16, BF16, I64, I32, I8, U8 and BOOL. Throws InputError naming the
/// file and the tensor for a lying header: offsets past the end or overlapping, sizes that do not
/// match dtype x shape, absurd shapes, unknown dtypes, a header that is not JSON.
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path);

/// Writes tensors in the same format (float32 and int64 kept as they are; used by tests and to
/// hand weights to PyTorch: `safetensors.torch.load_file`).
void write_safetensors(const std::string& path,
                       const std::map<std::string, torch::Tensor>& tensors);

}  // namespace slimlab
