#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <vector>

#include "moe/moe_options.h"
#include "nn/activation.h"

namespace slimlab {

/// A multi-layer perceptron: Linear -> activation -> dropout, repeated, then a Linear head.
///   MlpOptions(/*in_features=*/784, /*classes=*/10).hidden({256, 128}).dropout(0.1)
/// `in_features` and `classes` come from the dataset when a spec is built.
struct MlpOptions {
  MlpOptions(int64_t in_features = 0, int64_t classes = 0)
      : in_features_(in_features), classes_(classes) {}
  /// Flattened input size; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, in_features);
  /// Number of output classes; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, classes);
  /// Widths of the hidden layers, input to output. Default {256, 128} units.
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{256, 128};
  /// Non-linearity after each hidden layer. Default Relu.
  TORCH_ARG(Activation, activation) = Activation::Relu;
  /// Dropout probability after each hidden activation, 0 disables it. Default 0.
  TORCH_ARG(double, dropout) = 0.0;
};

/// A LeNet-style CNN: [conv k x k (same padding) -> activation -> 2x2 max-pool] per entry of
/// `channels`, then flatten -> Linear(fc_hidden) -> activation -> `moe_blocks` residual MoE
/// blocks h = h + MoE(h) -> dropout -> Linear(classes).
///   CnnOptions(/*in_channels=*/1, /*image_size=*/28, /*classes=*/10).channels({16, 32})
struct CnnOptions {
  CnnOptions(int64_t in_channels = 0, int64_t image_size = 0, int64_t classes = 0)
      : in_channels_(in_channels), image_size_(image_size), classes_(classes) {}
  /// Input channels; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, in_channels);
  /// Input height = width in pixels; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, image_size);
  /// Number of output classes; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, classes);
  /// Output channels of each conv block. Default {16, 32}.
  TORCH_ARG(std::vector<int64_t>, channels) = std::vector<int64_t>{16, 32};
  /// Square kernel size of every convolution, odd. Default 5 pixels.
  TORCH_ARG(int64_t, kernel_size) = 5;
  /// Width of the fully connected hidden layer. Default 128 units.
  TORCH_ARG(int64_t, fc_hidden) = 128;
  /// Non-linearity after each conv and the hidden Linear. Default Relu.
  TORCH_ARG(Activation, activation) = Activation::Relu;
  /// Dropout probability before the output layer. Default 0.
  TORCH_ARG(double, dropout) = 0.0;
  /// Residual MoE blocks in the classifier head, 0 = none. Default 0.
  TORCH_ARG(int64_t, moe_blocks) = 0;
  /// The MoE layer of each head block (its `dim` is set to `fc_hidden`).
  TORCH_ARG(MoeOptions, moe) = MoeOptions();
};

/// A tiny Vision Transformer: non-overlapping `patch_size` patches embedded to `dim`, a class
/// token and learned positions, `depth` pre-norm blocks of multi-head self-attention and a GELU
/// MLP, then LayerNorm and a Linear head on the class token.
///   VitOptions(/*in_channels=*/1, /*image_size=*/28, /*classes=*/10).patch_size(7).depth(2)
struct VitOptions {
  VitOptions(int64_t in_channels = 0, int64_t image_size = 0, int64_t classes = 0)
      : in_channels_(in_channels), image_size_(image_size), classes_(classes) {}
  /// Input channels; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, in_channels);
  /// Input height = width in pixels; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, image_size);
  /// Number of output classes; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, classes);
  /// Patch side; must divide the image size. Default 7 pixels (16 patches of 28x28).
  TORCH_ARG(int64_t, patch_size) = 7;
  /// Token width. Default 64.
  TORCH_ARG(int64_t, dim) = 64;
  /// Transformer blocks. Default 2.
  TORCH_ARG(int64_t, depth) = 2;
  /// Attention heads; must divide dim. Default 4.
  TORCH_ARG(int64_t, heads) = 4;
  /// MLP hidden width = mlp_ratio x dim. Default 2.
  TORCH_ARG(int64_t, mlp_ratio) = 2;
  /// Dropout after attention and MLP. Default 0.
  TORCH_ARG(double, dropout) = 0.0;
};

}  // namespace slimlab
