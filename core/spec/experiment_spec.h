#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "distill/distill_options.h"
#include "prune/prune_options.h"
#include "spec/model_spec.h"

namespace slimlab {

/// The spec schema this build reads and writes (`"schema": 1`).
constexpr int64_t kSpecSchema = 1;

enum class DatasetKind { FashionMnist, Mnist, Idx, Spirals, Moons, Circles, Blobs, Xor, Csv };

/// Where the examples come from and how they are split and batched.
///   {"dataset": "fashion-mnist", "validation_share": 0.1, "batch_size": 128}
struct DataSpec {
  /// Which dataset. Default fashion-mnist (Debian's dataset-fashion-mnist).
  DatasetKind dataset = DatasetKind::FashionMnist;
  /// Directory holding MNIST-format IDX files (gzip'd or plain); "" uses the dataset's Debian
  /// location. csv: the directory holding train.csv and test.csv. Default "".
  std::string path;
  /// Share of the training set held out for validation, 0..0.9. Default 0.1.
  double validation_share = 0.1;
  /// Examples per optimiser step. Default 128.
  int64_t batch_size = 128;
  /// Use only this many training examples (after the seeded shuffle); 0 = all. Default 0.
  int64_t train_subset = 0;
  /// Use only the first this many test examples; 0 = all. Default 0.
  int64_t test_subset = 0;
  /// 2-D sets: training points generated. Default 2000.
  int64_t points = 2000;
  /// 2-D sets: test points generated (from a separate stream). Default 1000.
  int64_t test_points = 1000;
  /// 2-D sets: standard deviation of the Gaussian noise added to each point. Default 0.1.
  double noise = 0.1;
  /// 2-D sets: number of classes (spirals, blobs; the others have 2). Default 2.
  int64_t classes = 2;
};

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

/// Which matrix multiply the dense layers call (see models/gemm.h). Auto (a spec's value only,
/// never a backend) = the faster of the two for this model on this machine, measured.
enum class GemmKind { OneDnn, Blas, Auto };

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

const char* dataset_name(DatasetKind kind);
const char* gemm_name(GemmKind kind);
const char* model_name(ModelKind kind);
bool is_image_dataset(DatasetKind kind);
/// The 2-D teaching sets SlimLab generates (spirals, moons, circles, blobs, xor).
bool is_generated_dataset(DatasetKind kind);

}  // namespace slimlab
