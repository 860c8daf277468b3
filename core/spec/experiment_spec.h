#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/data_options.h"
#include "distill/distill_options.h"
#include "models/model_spec.h"
#include "nn/gemm_kind.h"
#include "prune/prune_options.h"

namespace slimlab {

/// The spec schema this build reads and writes (`"schema": 1`).
constexpr int64_t kSpecSchema = 1;

enum class OptimizerKind { Adam, Sgd };

/// The optimiser. Weight decay is L2 added to the gradient (torch::optim semantics).
struct OptimizerSpec {
  /// adam or sgd. Default adam.
  OptimizerKind kind = OptimizerKind::Adam;
  /// Learning rate. Default 0.001.
  double lr = 1e-3;
  /// L2 weight decay. Default 0.
  double weight_decay = 0.0;
  /// SGD momentum (ignored by Adam). Default 0.9.
  double momentum = 0.9;
  /// SGD Nesterov momentum (ignored by Adam). Default false.
  bool nesterov = false;
};

/// How long to train and how often to evaluate, log and checkpoint.
struct ScheduleSpec {
  /// Passes over the training set; used when `steps` is 0. Default 5.
  int64_t epochs = 5;
  /// Optimiser steps in total; 0 means use `epochs`. Default 0.
  int64_t steps = 0;
  /// Validate every this many steps; 0 = at the end of each epoch. Default 0.
  int64_t eval_interval_steps = 0;
  /// Checkpoint every this many steps; 0 = at the end of each epoch. Default 0.
  int64_t checkpoint_interval_steps = 0;
  /// Report mean train loss / accuracy every this many steps. Default 10.
  int64_t log_interval_steps = 10;
};

/// How the run uses the CPU. Not part of the mathematics, but the summation order of a matrix
/// product depends on the kernel and its thread count, so it is kept with the run: a resume
/// continues with the same settings and reproduces an unbroken run exactly.
struct RuntimeSpec {
  /// LibTorch intra-op threads (OpenMP; oneDNN's matrix products use them too). 0 = automatic:
  /// the fastest of 1 .. the run's share of the cores ($SLIMLAB_THREADS, else every core),
  /// measured on a few training steps of this model (train/runtime_tuner.h). Default 0.
  int64_t threads = 0;
  /// OpenBLAS threads. 0 = automatic: 1 when LibTorch uses several threads (two pools spinning
  /// on the same cores made a small MLP 3x slower here), the run's share otherwise. Default 0.
  int64_t blas_threads = 0;
  /// "onednn" (oneDNN's JIT sgemm), "blas" (the selected libblas.so.3, as PyTorch) or "auto"
  /// (the faster for this model here, measured with the threads). Default "auto".
  GemmKind gemm = GemmKind::Auto;
};

/// One experiment, as stored with every run.
struct ExperimentSpec {
  /// Spec format version. Default 1.
  int64_t schema = kSpecSchema;
  /// Human-readable run name. Default "experiment".
  std::string name = "experiment";
  /// Seeds weights, shuffling, splits, dropout and generated data. Default 0.
  int64_t seed = 0;
  DataSpec data;
  ModelSpec model;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  RuntimeSpec runtime;
  /// Knowledge distillation: present when the model is trained as a student. Default absent.
  bool has_distill = false;
  DistillOptions distill;
  /// Pruning: present when the run prunes (see PruneOptions). Default absent.
  bool has_prune = false;
  PruneOptions prune;
  /// The sections of registered compression methods (method/method_registry.h), by key: the
  /// JSON text their reader returned, every default written out ({"lowrank": "{...}"}).
  /// Default empty.
  std::map<std::string, std::string> method_sections;
};

/// Validates and reads a spec; throws InputError naming the field path.
ExperimentSpec spec_from_json(const nlohmann::json& json);
/// The complete spec with every default written out (what the run store keeps).
nlohmann::json spec_to_json(const ExperimentSpec& spec);

/// A model's options as spec JSON (the "model" object).
nlohmann::json model_to_json(const ModelSpec& model);

/// Parses JSON text (at most 64 levels deep); `source` names the file in errors.
nlohmann::json parse_json_text(const std::string& text, const std::string& source);
/// Reads a spec file into JSON; throws InputError naming the file.
nlohmann::json load_json_file(const std::string& path);

/// Applies `path.to.field=value` (list entries as `field[2]`) to a spec's JSON. The value is
/// read as JSON when it parses (numbers, true, [1,2]) and as a string otherwise.
void apply_override(nlohmann::json& spec, const std::string& assignment);

}  // namespace slimlab
