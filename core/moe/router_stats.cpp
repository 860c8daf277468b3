#include "moe/router_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace slimlab {

double load_cv(const std::vector<double>& share) {
  if (share.empty()) return 0;
  double mean = std::accumulate(share.begin(), share.end(), 0.0) / double(share.size());
  if (mean <= 0) return 0;
  double variance = 0;
  for (double s : share) variance += (s - mean) * (s - mean);
  return std::sqrt(variance / double(share.size())) / mean;
}

double max_over_mean(const std::vector<double>& share) {
  if (share.empty()) return 0;
  double mean = std::accumulate(share.begin(), share.end(), 0.0) / double(share.size());
  return mean > 0 ? *std::max_element(share.begin(), share.end()) / mean : 0;
}

double entropy_nats(const std::vector<double>& weights) {
  double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (total <= 0) return 0;
  double h = 0;
  for (double w : weights) {
    if (w > 0) h -= (w / total) * std::log(w / total);
  }
  return h;
}

RouterWindow::RouterWindow(int64_t experts)
    : experts_(experts),
      assigned_(torch::zeros({experts}, torch::kInt64)),
      kept_(torch::zeros({experts}, torch::kInt64)),
      prob_sum_(torch::zeros({experts}, torch::kFloat64)) {}

void RouterWindow::add(const RouterCounts& counts, const AuxLosses& aux) {
  assigned_ += counts.assigned;
  kept_ += counts.kept;
  prob_sum_ += counts.prob_sum;
  tokens_ += counts.tokens;
  ++steps_;
  auto add = [](torch::Tensor& sum, const torch::Tensor& value) {
    sum = sum.defined() ? sum + value.detach() : value.detach().clone();
  };
  add(balance_, aux.balance);
  add(importance_, aux.importance);
  add(z_, aux.z);
}

RouterRecord RouterWindow::take(int64_t step, int64_t layer) {
  RouterRecord r;
  r.step = step;
  r.layer = layer;
  auto assigned = assigned_.accessor<int64_t, 1>();
  auto kept = kept_.accessor<int64_t, 1>();
  auto prob = prob_sum_.accessor<double, 1>();
  int64_t total = 0, total_kept = 0;
  for (int64_t e = 0; e < experts_; ++e) {
    total += assigned[e];
    total_kept += kept[e];
  }
  for (int64_t e = 0; e < experts_; ++e) {
    r.load_share.push_back(total > 0 ? double(assigned[e]) / double(total) : 0.0);
    r.importance.push_back(tokens_ > 0 ? prob[e] / double(tokens_) : 0.0);
    r.dead_experts += assigned[e] == 0;
  }
  r.load_cv = load_cv(r.load_share);
  r.max_over_mean = max_over_mean(r.load_share);
  r.gate_entropy = entropy_nats(r.importance);
  r.dropped_share = total > 0 ? 1.0 - double(total_kept) / double(total) : 0.0;
  double n = std::max<int64_t>(steps_, 1);
  auto mean = [n](const torch::Tensor& sum) {
    return sum.defined() ? sum.item<double>() / n : 0.0;
  };
  r.balance_loss = mean(balance_);
  r.importance_loss = mean(importance_);
  r.z_loss = mean(z_);
  clear();
  return r;
}

void RouterWindow::save(torch::serialize::OutputArchive& archive) const {
  archive.write("assigned", assigned_);
  archive.write("kept", kept_);
  archive.write("prob_sum", prob_sum_);
  archive.write("counts", torch::tensor({tokens_, steps_}, torch::kInt64));
  // The loss sums are undefined until the first step of a window.
  if (steps_ > 0) {
    archive.write("balance", balance_);
    archive.write("importance", importance_);
    archive.write("z", z_);
  }
}

void RouterWindow::load(torch::serialize::InputArchive& archive) {
  clear();
  torch::Tensor assigned, kept, prob_sum, counts;
  if (!archive.try_read("assigned", assigned)) return;
  archive.read("kept", kept);
  archive.read("prob_sum", prob_sum);
  archive.read("counts", counts);
  if (assigned.numel() != experts_) {
    throw std::runtime_error("checkpoint's router window has " + std::to_string(assigned.numel()) +
                             " experts, the model " + std::to_string(experts_));
  }
  assigned_ = assigned.clone();
  kept_ = kept.clone();
  prob_sum_ = prob_sum.clone();
  tokens_ = counts[0].item<int64_t>();
  steps_ = counts[1].item<int64_t>();
  if (steps_ > 0) {
    archive.read("balance", balance_);
    archive.read("importance", importance_);
    archive.read("z", z_);
  }
}

}  // namespace slimlab
