#include "quant/observers.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace slimlab {

const std::vector<std::string>& range_observer_names() {
  static const std::vector<std::string> kNames = {"min-max", "percentile", "mse"};
  return kNames;
}

std::pair<torch::Tensor, torch::Tensor> observe_range(const torch::Tensor& x,
                                                      const ObserverOptions& options,
                                                      bool per_channel, int64_t bits,
                                                      QuantScheme scheme) {
  if (x.numel() == 0) throw std::invalid_argument("cannot observe the range of an empty tensor");
  quant_range(bits, scheme);  // Refuses bits outside 2..8.
  torch::NoGradGuard no_grad;
  // Rows: one per channel, or the whole tensor as one row.
  auto rows = per_channel ? x.detach().to(torch::kFloat32).reshape({x.size(0), -1})
                          : x.detach().to(torch::kFloat32).reshape({1, -1});
  switch (options.kind) {
    case RangeObserver::MinMax:
      return {std::get<0>(rows.min(1)), std::get<0>(rows.max(1))};
    case RangeObserver::Percentile: {
      if (!(options.percentile > 50 && options.percentile <= 100)) {
        throw std::invalid_argument("percentile must be above 50 and at most 100, got " +
                                    std::to_string(options.percentile));
      }
      const double p = options.percentile / 100.0;
      auto r = rows.to(torch::kFloat64);
      return {torch::quantile(r, 1.0 - p, 1).to(torch::kFloat32),
              torch::quantile(r, p, 1).to(torch::kFloat32)};
    }
    case RangeObserver::Mse: {
      const auto lo = std::get<0>(rows.min(1)), hi = std::get<0>(rows.max(1));
      torch::Tensor best_lo = lo, best_hi = hi, best_error;
      for (int64_t i = 0; i <= options.steps; ++i) {
        const double alpha = 1.0 - (1.0 - options.min_alpha) * double(i) / double(options.steps);
        auto p = choose_qparams(lo * alpha, hi * alpha, bits, scheme, /*per_channel=*/true);
        auto error = (rows - fake_quantize(rows, p)).pow(2).sum(1);
        if (!best_error.defined()) {
          best_error = error;
          continue;
        }
        auto better = error < best_error;
        best_error = torch::where(better, error, best_error);
        best_lo = torch::where(better, lo * alpha, best_lo);
        best_hi = torch::where(better, hi * alpha, best_hi);
      }
      return {best_lo, best_hi};
    }
  }
  throw std::invalid_argument("unknown range observer");
}

}  // namespace slimlab
