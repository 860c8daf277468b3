// Prune schedules: one-shot, iterative (geometric) and AGP (Zhu & Gupta 2017).
#include <cmath>

#include "prune/prune_options.h"

namespace slimlab {

std::vector<int64_t> prune_steps(const PruneOptions& o) {
  switch (o.schedule) {
    case PruneSchedule::OneShot:
      return {o.start_step};
    case PruneSchedule::Iterative: {
      std::vector<int64_t> steps;
      for (int64_t j = 1; j <= o.rounds; ++j) steps.push_back(o.start_step + j * o.frequency);
      return steps;
    }
    case PruneSchedule::Agp: {
      std::vector<int64_t> steps;
      for (int64_t j = 0; j <= o.rounds; ++j) steps.push_back(o.start_step + j * o.frequency);
      return steps;
    }
  }
  return {};
}

double final_sparsity(const PruneOptions& o, const std::string& name) {
  if (o.criterion == PruneCriterion::NM) return 1.0 - double(o.n) / double(o.m);
  auto it = o.layer_sparsity.find(name);
  return it != o.layer_sparsity.end() ? it->second : o.sparsity;
}

double scheduled_sparsity(const PruneOptions& o, double s_f, int64_t step) {
  if (step < o.start_step) return 0.0;
  switch (o.schedule) {
    case PruneSchedule::OneShot:
      return s_f;
    case PruneSchedule::Iterative: {
      // Rounds completed so far; each removes the same share of the weights still alive.
      int64_t j = std::min(o.rounds, (step - o.start_step) / o.frequency);
      return 1.0 - std::pow(1.0 - s_f, double(j) / double(o.rounds));
    }
    case PruneSchedule::Agp: {
      // The value at the last prune step t0 + j dt <= step: the schedule is a staircase.
      int64_t j = std::min(o.rounds, (step - o.start_step) / o.frequency);
      double remaining = 1.0 - double(j) / double(o.rounds);
      return s_f + (o.initial_sparsity - s_f) * remaining * remaining * remaining;
    }
  }
  return 0.0;
}

const char* criterion_name(PruneCriterion criterion) {
  switch (criterion) {
    case PruneCriterion::Magnitude:
      return "magnitude";
    case PruneCriterion::Random:
      return "random";
    case PruneCriterion::L1Norm:
      return "l1-norm";
    case PruneCriterion::L2Norm:
      return "l2-norm";
    case PruneCriterion::NM:
      return "n:m";
    case PruneCriterion::ExpertLoad:
      return "expert-load";
  }
  return "?";
}

bool is_structured(PruneCriterion criterion) {
  return criterion == PruneCriterion::L1Norm || criterion == PruneCriterion::L2Norm;
}

}  // namespace slimlab
