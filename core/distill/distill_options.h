#pragma once

#include <string>
#include <vector>

#include "models/model_spec.h"

namespace slimlab {

/// How a distillation knob moves from its start to its end value over training.
enum class ScheduleKind { Constant, Linear, Cosine };

/// Where a teacher comes from.
enum class TeacherSource {
  Run,          ///< A finished run of the same store: its id, uuid prefix or name.
  TorchScript,  ///< A file saved with torch.jit.save (code: trusted files only).
  Safetensors,  ///< A weights file plus the SlimLab architecture in `model`.
};

/// One teacher of a distillation.
///   {"run": "cnn-fashion", "weight": 1.0}
struct TeacherOptions {
  TeacherSource source = TeacherSource::Run;
  /// Run reference or file path.
  std::string ref;
  /// Safetensors only: the architecture the weights belong to.
  ModelSpec model;
  /// Share of this teacher in the averaged soft targets (weights are normalised to sum to 1).
  double weight = 1.0;
};

/// A feature (hint) match, FitNets (Romero 2015): weight * ||W_r h_s - h_t||^2 with a learned
/// Linear projection W_r from the student's width to the teacher's.
///   {"student": "penultimate", "teacher": "penultimate", "teacher_index": 0, "weight": 1.0}
struct HintOptions {
  /// The student's layer: mlp hidden<i>; cnn conv<i>, fc; moe-mlp input, block<i>; vit
  /// block<i>, norm; any "penultimate" (what the output layer reads). Default "penultimate".
  std::string student_layer = "penultimate";
  /// The teacher's layer, named the same way. Default "penultimate".
  std::string teacher_layer = "penultimate";
  /// Which teacher of `teachers`. Default 0.
  int64_t teacher_index = 0;
  /// Weight of this match. Default 1.
  double weight = 1.0;
};

/// Knowledge distillation (REFERENCES.md): the student's loss is
///   (1 - alpha) * CE(y, p_s) + alpha * [T^2] * KL(p_t(T) || p_s(T)) + logit_mse * ||z_t - z_s||^2
/// where p_t(T) averages the teachers' softened probabilities with their weights (and z_t their
/// logits, for the MSE term).
struct DistillOptions {
  std::vector<TeacherOptions> teachers;
  /// Temperature T at the start. Default 4.
  double temperature = 4.0;
  /// T at the end of training (Linear / Cosine schedules). Default: the start value.
  double temperature_end = 4.0;
  ScheduleKind temperature_schedule = ScheduleKind::Constant;
  /// Weight of the soft-target term; the hard-label CE gets 1 - alpha. Default 0.7.
  double alpha = 0.7;
  double alpha_end = 0.7;
  ScheduleKind alpha_schedule = ScheduleKind::Constant;
  /// Multiply the KL term by T^2 (Hinton 2015, SparseML, TextBrewer) or not (Distiller).
  /// Default true.
  bool t_squared = true;
  /// Weight of the logit regression term (Tang 2019). Default 0.
  double logit_mse = 0.0;
  /// Feature matches; each adds weight * ||W_r h_s - h_t||^2 (summed over features, averaged
  /// over the batch). Default none.
  std::vector<HintOptions> hints;
  /// Compute the teachers' logits once per split (the input pipeline is deterministic).
  /// Default true.
  bool cache_teacher_logits = true;
};

/// The TorchScript files among the teachers. They are programs: loading one runs its code, so
/// the CLI and the window say so before a run uses them (safetensors files are only numbers).
inline std::vector<std::string> torchscript_teacher_files(const DistillOptions& distill) {
  std::vector<std::string> files;
  for (const auto& t : distill.teachers) {
    if (t.source == TeacherSource::TorchScript) files.push_back(t.ref);
  }
  return files;
}

}  // namespace slimlab
