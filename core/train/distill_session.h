#pragma once

#include <memory>
#include <optional>
#include <string>

#include "data/dataset.h"
#include "distill/distiller.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"

namespace slimlab {

/// Loads every teacher `spec.distill` names (stored runs from `store_path`, TorchScript and
/// safetensors files) and checks each against the data. Throws InputError naming the teacher
/// field and the problem, before anything is stored.
/// Teachers given by run name are pinned: their `ref` in `spec` becomes the run's uuid.
std::unique_ptr<Distiller> make_distiller(ExperimentSpec& spec, const DataSplits& data,
                                          const std::string& store_path);

/// The baseline a compressed run is judged against: `spec` without distillation and pruning
/// (the student trained alone, "<name>-alone", or the dense network, "<name>-dense").
ExperimentSpec baseline_spec(const ExperimentSpec& spec);

/// A finished run of `baseline_spec(spec)` (same student, data, optimiser, schedule and seed).
std::optional<RunRow> find_baseline(RunStore& store, const ExperimentSpec& spec);

/// (acc_student_KD - acc_student_alone) / (acc_teacher - acc_student_alone); NaN when the
/// teacher is no better than the student alone.
double gap_closed(double student_kd, double student_alone, double teacher);

}  // namespace slimlab
