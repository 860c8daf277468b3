#pragma once

#include <string>
#include <vector>

#include "models/model_options.h"
#include "moe/moe_options.h"

namespace slimlab {

enum class ModelKind { Mlp, Cnn, MoeMlp, Vit };

/// The network; only the options of `kind` are read and written.
struct ModelSpec {
  /// Which architecture. Default mlp.
  ModelKind kind = ModelKind::Mlp;
  MlpOptions mlp;
  CnnOptions cnn;
  MoeMlpOptions moe_mlp;
  VitOptions vit;
  /// moe-mlp only: initialise from a finished single-expert moe-mlp run of the same store (its
  /// id, uuid prefix, or name: the newest finished run of that name). "" = no. Default "".
  std::string upcycle_from;
  /// Noise added to each upcycled expert, as a fraction of the weight's std. Default 0.01.
  double upcycle_noise = 0.01;
};

/// The spec's names of the kinds, by enum index: "mlp", "cnn", "moe-mlp", "vit".
const std::vector<std::string>& model_names();
/// model_names()[kind], e.g. "moe-mlp".
const char* model_name(ModelKind kind);

}  // namespace slimlab
