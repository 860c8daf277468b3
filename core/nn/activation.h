#pragma once

namespace slimlab {

/// The non-linearities SlimLab's models offer.
enum class Activation { Relu, Gelu, Tanh };

}  // namespace slimlab
