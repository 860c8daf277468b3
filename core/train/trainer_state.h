#pragma once

// Internal to core/train: the trainer's state, shared by trainer.cpp (the loop),
// trainer_eval.cpp (evaluation) and trainer_checkpoint.cpp (checkpoints).

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "distill/distiller.h"
#include "moe/moe_layer.h"
#include "moe/router_stats.h"
#include "prune/pruner.h"
#include "train/runtime.h"
#include "train/trainer.h"

namespace slimlab {

struct Trainer::State {
  ExperimentSpec spec;
  DataSplits data;
  RuntimeChoice runtime;  ///< What spec.runtime resolved to on this machine.
  torch::nn::AnyModule model;
  std::shared_ptr<torch::nn::Module> module;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t step = 0;
  int64_t steps_per_epoch = 0;
  int64_t total_steps = 0;
  std::vector<MoeLayer> moe_layers;
  std::vector<RouterWindow> router_windows;
  std::unique_ptr<Distiller> distiller;
  std::unique_ptr<Pruner> pruner;

  struct Evaluation {
    double loss = 0;
    double accuracy = 0;
    std::vector<torch::Tensor> routing;  ///< Per MoE layer: [classes, experts] first choices.
    std::vector<std::pair<std::string, double>> extra;  ///< Distillation figures.
    torch::Tensor student_logits;                       ///< [N, C], with a distiller only.
  };
  Evaluation evaluate(const TensorDataset& split);
  void compare_with_teachers(Evaluation& e, const TensorDataset& split, const std::string& name,
                             bool per_class);
  void report_routing(TrainObserver& observer, const Evaluation& e, const std::string& split);
};

}  // namespace slimlab
