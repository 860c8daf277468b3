#include "distill/distiller.h"

#include "distill/kd_loss.h"
#include "models/features.h"
#include "models/model_factory.h"
#include "util/input_error.h"

#include <torch/torch.h>

#include <map>
#include <numeric>

namespace slimlab {
namespace {

constexpr int64_t kTeacherBatch = 1000;

torch::Tensor logits_in_batches(Teacher& teacher, const torch::Tensor& x) {
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < x.size(0); begin += kTeacherBatch) {
    parts.push_back(teacher.logits(x.slice(0, begin, std::min(begin + kTeacherBatch, x.size(0)))));
  }
  return parts.empty() ? torch::empty({0}) : torch::cat(parts);
}

/// Refuses a teacher's outputs holding NaN or Inf, naming the first training example (row r of
/// `outputs` is example `examples[r]`, or r when `examples` is undefined): they would make the
/// student's first loss NaN, which reads as the student diverging.
void require_finite_outputs(const Teacher& teacher, const std::string& what,
                            const torch::Tensor& outputs, const torch::Tensor& examples = {}) {
  if (count_non_finite(outputs) == 0) return;
  auto bad_rows = torch::isfinite(outputs).reshape({outputs.size(0), -1}).all(1).logical_not();
  int64_t row = bad_rows.nonzero()[0][0].item<int64_t>();
  int64_t example = examples.defined() ? examples[row].item<int64_t>() : row;
  throw InputError("teacher " + teacher.description() + ": " + what +
                   " are NaN/Inf for training example " + std::to_string(example) +
                   "; a teacher's outputs must be finite (does it expect inputs scaled as this "
                   "run's data?)");
}

}  // namespace

Distiller::Distiller(DistillOptions options, std::vector<std::unique_ptr<Teacher>> teachers)
    : options_(std::move(options)), teachers_(std::move(teachers)) {
  TORCH_CHECK(!teachers_.empty(), "distillation needs at least one teacher");
  double total = 0;
  for (size_t i = 0; i < teachers_.size(); ++i) total += options_.teachers.at(i).weight;
  for (size_t i = 0; i < teachers_.size(); ++i) {
    weights_.push_back(options_.teachers.at(i).weight / total);
  }
}

void Distiller::prepare(const DataSplits& data, torch::nn::Module& student) {
  // Hint projections: widths from one example through student and teacher.
  projection_list_.clear();
  auto probe = data.train.x.slice(0, 0, 2);
  for (size_t i = 0; i < options_.hints.size(); ++i) {
    const auto& h = options_.hints[i];
    TORCH_CHECK(h.teacher_index >= 0 && size_t(h.teacher_index) < teachers_.size(),
                "distill.hints[", i, "].teacher_index: no teacher ", h.teacher_index);
    torch::Tensor student_features;
    {
      torch::NoGradGuard no_grad;
      bool was_training = student.is_training();
      student.eval();
      try {
        forward_with_features(student, probe, student_features, h.student_layer);
      } catch (const std::invalid_argument& e) {
        student.train(was_training);
        throw InputError("distill.hints[" + std::to_string(i) + "].student: " + e.what());
      }
      student.train(was_training);
    }
    auto teacher_features = teachers_[size_t(h.teacher_index)]->features(probe, h.teacher_layer);
    // A flattened conv tap can be thousands wide: refuse projections and caches that would
    // not fit a laptop, and say which layer to pick instead.
    const int64_t in = student_features.size(1), out = teacher_features.size(1);
    const int64_t cache_values = options_.cache_teacher_logits ? data.train.size() * out : 0;
    if (in * out > (int64_t(1) << 24) || cache_values > (int64_t(1) << 28)) {
      throw InputError("distill.hints[" + std::to_string(i) + "]: layers of width " +
                       std::to_string(in) + " (student) and " + std::to_string(out) +
                       " (teacher) need a " + std::to_string(in * out) +
                       "-weight projection and a " + std::to_string(cache_values) +
                       "-value cache; pick a narrower layer (e.g. fc, hidden<i>, penultimate)");
    }
    std::lock_guard<std::mutex> drawing(generator_mutex());  // The projection's initial weights.
    projection_list_.push_back(projections_->register_module(
        "hint" + std::to_string(i),
        torch::nn::Linear(student_features.size(1), teacher_features.size(1))));
  }
  if (!options_.cache_teacher_logits) return;
  train_cache_.clear();
  feature_cache_.clear();
  for (auto& t : teachers_) {
    train_cache_.push_back(logits_in_batches(*t, data.train.x));
    require_finite_outputs(*t, "logits", train_cache_.back());
  }
  for (const auto& h : options_.hints) {
    auto& teacher = *teachers_[size_t(h.teacher_index)];
    std::vector<torch::Tensor> parts;
    for (int64_t begin = 0; begin < data.train.size(); begin += kTeacherBatch) {
      parts.push_back(teacher.features(
          data.train.x.slice(0, begin, std::min(begin + kTeacherBatch, data.train.size())),
          h.teacher_layer));
    }
    feature_cache_.push_back(torch::cat(parts));
    require_finite_outputs(teacher, "features at layer " + h.teacher_layer, feature_cache_.back());
  }
}

std::vector<torch::Tensor> Distiller::teacher_logits(const torch::Tensor& x) {
  std::vector<torch::Tensor> out;
  for (auto& t : teachers_) out.push_back(t->logits(x));
  return out;
}

std::vector<std::string> Distiller::student_layers() const {
  std::vector<std::string> layers;
  for (const auto& h : options_.hints) layers.push_back(h.student_layer);
  return layers;
}

DistillLoss Distiller::loss(const torch::Tensor& student_logits, const torch::Tensor& cross_entropy,
                            const std::vector<torch::Tensor>& student_features,
                            const torch::Tensor& x, const torch::Tensor& y,
                            const torch::Tensor& index, double progress) {
  const auto& o = options_;
  DistillLoss out;
  out.temperature = scheduled(o.temperature_schedule, o.temperature, o.temperature_end, progress);
  out.alpha = scheduled(o.alpha_schedule, o.alpha, o.alpha_end, progress);
  std::vector<torch::Tensor> logits;
  if (!train_cache_.empty()) {
    for (const auto& cache : train_cache_) logits.push_back(cache.index_select(0, index));
  } else {
    logits = teacher_logits(x);
    for (size_t i = 0; i < logits.size(); ++i) {
      require_finite_outputs(*teachers_[i], "logits", logits[i], index);
    }
  }
  torch::Tensor probs, mean_logits;
  for (size_t i = 0; i < logits.size(); ++i) {
    auto p = soft_targets(logits[i], out.temperature) * weights_[i];
    auto z = logits[i] * weights_[i];
    probs = i == 0 ? p : probs + p;
    mean_logits = i == 0 ? z : mean_logits + z;
  }
  auto hard = (1.0 - out.alpha) * cross_entropy;
  auto soft = out.alpha * hinton_soft_loss(student_logits, probs, out.temperature, o.t_squared);
  out.total = hard + soft;
  out.hard = hard.item<double>();
  out.soft = soft.item<double>();
  if (o.logit_mse > 0) {
    auto mse = o.logit_mse * logit_mse(student_logits, mean_logits);
    out.total = out.total + mse;
    out.mse = mse.item<double>();
  }
  for (size_t i = 0; i < options_.hints.size(); ++i) {
    const auto& h = options_.hints[i];
    auto target = feature_cache_.empty()
                      ? teachers_[size_t(h.teacher_index)]->features(x, h.teacher_layer)
                      : feature_cache_[i].index_select(0, index);
    auto hint =
        h.weight *
        (projection_list_[i]->forward(student_features.at(i)) - target).pow(2).sum(1).mean();
    out.total = out.total + hint;
    out.hint += hint.item<double>();
  }
  return out;
}

DistillEval Distiller::evaluate(const torch::Tensor& student_logits, const TensorDataset& split,
                                const std::string& split_name, int64_t classes) {
  torch::NoGradGuard no_grad;
  auto& cached = split_cache_[split_name];
  if (cached.empty()) {
    for (auto& t : teachers_) cached.push_back(logits_in_batches(*t, split.x));
  }
  torch::Tensor teacher_probs;
  for (size_t i = 0; i < cached.size(); ++i) {
    auto p = torch::softmax(cached[i], 1) * weights_[i];
    teacher_probs = i == 0 ? p : teacher_probs + p;
  }
  DistillEval e;
  auto teacher_top1 = teacher_probs.argmax(1);
  auto student_top1 = student_logits.argmax(1);
  auto agree = teacher_top1.eq(student_top1).to(torch::kFloat64);
  e.teacher_accuracy = teacher_top1.eq(split.y).to(torch::kFloat64).mean().item<double>();
  e.agreement = agree.mean().item<double>();
  e.mean_kl = kd_kl(student_logits, teacher_probs, 1.0).item<double>();
  for (int64_t c = 0; c < classes; ++c) {
    auto mask = split.y.eq(c);
    auto n = mask.sum().item<int64_t>();
    e.class_agreement.push_back(n > 0 ? agree.masked_select(mask).mean().item<double>() : 0.0);
  }
  return e;
}

}  // namespace slimlab
