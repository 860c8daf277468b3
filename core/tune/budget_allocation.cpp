#include "tune/budget_allocation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "lowrank/factorize.h"
#include "util/input_error.h"
#include "util/nearest_word.h"
#include "util/number_text.h"

namespace slimlab {
namespace {

struct Candidate {
  LayerSetting setting;
  double accuracy = 0;
  int64_t cost = 0;  // On the budget's axis, the layer alone.
};

bool uses(const std::vector<TuneMethod>& methods, TuneMethod m) {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

// The cheapest candidate that kept `threshold`, else the most accurate one.
const Candidate& choose(const std::vector<Candidate>& candidates, double threshold) {
  const Candidate* best = nullptr;
  for (const auto& c : candidates) {
    if (c.accuracy < threshold) continue;
    if (best == nullptr || c.cost < best->cost) best = &c;
  }
  if (best != nullptr) return *best;
  for (const auto& c : candidates)
    if (best == nullptr || c.accuracy > best->accuracy) best = &c;
  return *best;
}

}  // namespace

Budget parse_budget(const std::string& text, const std::string& field) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    throw InputError(field +
                     ": write it as axis=share, e.g. params=0.25 (axes: params, bytes, "
                     "macs), got \"" +
                     text + "\"");
  }
  const std::string axis = text.substr(0, eq), value = text.substr(eq + 1);
  const std::vector<std::string> axes = {"params", "bytes", "macs"};
  Budget b;
  const auto it = std::find(axes.begin(), axes.end(), axis);
  if (it == axes.end()) {
    const auto near = nearest_word(axis, axes);
    throw InputError(field + ": \"" + axis + "\" is no cost axis" +
                     (near.empty() ? "" : "; did you mean " + near + "?") +
                     " (params, bytes, macs)");
  }
  b.axis = CostAxis(it - axes.begin());
  char* end = nullptr;
  b.fraction = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !std::isfinite(b.fraction) || b.fraction <= 0 ||
      b.fraction > 1) {
    throw InputError(field + ": the share of the trained network's " + axis +
                     " must be above 0 and at most 1 (0.25 = a quarter), got \"" + value + "\"");
  }
  return b;
}

std::string describe_budget(const Budget& budget) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s=%g", cost_axis_name(budget.axis), budget.fraction);
  return buf;
}

void check_budget_methods(const Budget& budget, const std::vector<TuneMethod>& methods,
                          const std::string& field) {
  for (auto m : methods) {
    if (m == TuneMethod::LowRank) return;
    if (m == TuneMethod::Prune && budget.axis != CostAxis::Bytes) return;
    if (m == TuneMethod::Quant && budget.axis == CostAxis::Bytes) return;
  }
  const bool bytes = budget.axis == CostAxis::Bytes;
  throw InputError(field + ": " + describe_budget(budget) + " needs a method that reduces " +
                   (bytes ? "bytes: pruning stores its zeros; add quant or lowrank to --methods"
                          : std::string(cost_axis_name(budget.axis)) +
                                ": quantisation keeps every weight and MAC; add prune or lowrank "
                                "to --methods"));
}

int64_t budget_limit(const PlanEvaluator& evaluator, const Budget& budget) {
  return int64_t(
      std::floor(budget.fraction * double(cost_on(evaluator.dense_cost(), budget.axis))));
}

Allocation allocate_budget(const PlanEvaluator& evaluator, const SensitivityCurves& curves,
                           const std::vector<TuneMethod>& methods, const Budget& budget,
                           const std::string& field) {
  check_budget_methods(budget, methods, field);
  const auto axis = budget.axis;
  const auto& layers = evaluator.layers();
  // Candidates per layer: as trained, each curve point, and prune x quant combinations.
  std::vector<std::vector<Candidate>> candidates(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& layer = layers[i];
    candidates[i].push_back({{}, curves.dense.accuracy, cost_on(layer_cost(layer, {}), axis)});
    std::vector<const CurvePoint*> pruned, quantised;
    for (const auto& p : curves.points) {
      if (p.layer != layer.name || !uses(methods, p.method)) continue;
      candidates[i].push_back({p.setting, p.accuracy, cost_on(p.layer_cost, axis)});
      if (p.method == TuneMethod::Prune) pruned.push_back(&p);
      if (p.method == TuneMethod::Quant) quantised.push_back(&p);
    }
    for (const auto* p : pruned) {
      for (const auto* q : quantised) {
        LayerSetting s = p->setting;
        s.bits = q->setting.bits;
        candidates[i].push_back(
            {s, std::min(p->accuracy, q->accuracy), cost_on(layer_cost(layer, s), axis)});
      }
    }
  }
  // Of candidates equally costly on the budget's axis only the first stays (as trained, then the
  // least compressed): one that saves nothing there is not taken for an accuracy difference the
  // sample's noise can make (e.g. 5-bit weights on a MACs budget).
  for (auto& c : candidates) {
    std::vector<Candidate> kept;
    for (const auto& x : c) {
      const bool seen = std::any_of(kept.begin(), kept.end(),
                                    [&](const Candidate& k) { return k.cost == x.cost; });
      if (!seen) kept.push_back(x);
    }
    c = std::move(kept);
  }
  const int64_t limit = budget_limit(evaluator, budget);
  const int64_t fixed = cost_on(evaluator.dense_cost(), axis) - [&] {
    int64_t sum = 0;
    for (const auto& l : layers) sum += cost_on(layer_cost(l, {}), axis);
    return sum;
  }();
  auto total_at = [&](double threshold) {
    int64_t total = fixed;
    for (const auto& c : candidates) total += choose(c, threshold).cost;
    return total;
  };
  std::set<double, std::greater<>> levels;
  for (const auto& c : candidates)
    for (const auto& x : c) levels.insert(x.accuracy);
  const std::vector<double> thresholds(levels.begin(), levels.end());  // Highest first.
  const double lowest = -1;  // Every candidate allowed: each layer at its cheapest.
  if (total_at(lowest) > limit) {
    int64_t least = fixed;
    for (const auto& c : candidates) least += choose(c, lowest).cost;
    const int64_t dense = cost_on(evaluator.dense_cost(), axis);
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * double(least) / double(dense));
    throw InputError(field + ": " + describe_budget(budget) + " cannot be met: the most " +
                     "compressed setting Tune tries for every layer still costs " +
                     thousands(least) + " " + cost_axis_name(axis) + " (" + share + " of " +
                     thousands(dense) + "; " + thousands(fixed) +
                     " of them in parts no plan changes)");
  }
  // total_at falls as the threshold falls: find the highest threshold within the budget.
  size_t lo = 0, hi = thresholds.size();  // Answer in [lo, hi]; hi = "every candidate".
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (total_at(thresholds[mid]) <= limit)
      hi = mid;
    else
      lo = mid + 1;
  }
  Allocation a;
  a.threshold = lo < thresholds.size() ? thresholds[lo] : lowest;
  std::vector<const Candidate*> picks;
  int64_t total = fixed;
  for (const auto& c : candidates) {
    picks.push_back(&choose(c, a.threshold));
    total += picks.back()->cost;
  }
  // The threshold moves in steps, so the budget is rarely spent in full: spend what is left on
  // the layer whose next less compressed setting gains the most accuracy (alone) per unit of
  // cost, while one fits.
  for (;;) {
    const Candidate* best = nullptr;
    size_t best_layer = 0;
    double best_rate = 0;
    for (size_t i = 0; i < candidates.size(); ++i) {
      for (const auto& c : candidates[i]) {
        const int64_t more = c.cost - picks[i]->cost;
        const double gain = c.accuracy - picks[i]->accuracy;
        if (more <= 0 || gain <= 0 || total + more > limit) continue;
        const double rate = gain / double(more);
        if (rate > best_rate) {
          best_rate = rate;
          best = &c;
          best_layer = i;
        }
      }
    }
    if (best == nullptr) break;
    total += best->cost - picks[best_layer]->cost;
    picks[best_layer] = best;
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!picks[i]->setting.empty()) a.plan.layers[layers[i].name] = picks[i]->setting;
  }
  a.cost = evaluator.cost(a.plan);
  return a;
}

std::vector<UniformPlan> uniform_plans(const PlanEvaluator& evaluator,
                                       const std::vector<TuneMethod>& methods,
                                       const Budget& budget) {
  const int64_t limit = budget_limit(evaluator, budget);
  std::vector<UniformPlan> out;
  for (auto method : methods) {
    const auto layers = method_layers(evaluator, method);
    // The plan at knob x: sparsity x, rank ratio x, or x bits.
    auto plan_at = [&](double x) {
      CompressionPlan plan;
      for (const auto& l : layers) {
        LayerSetting s;
        if (method == TuneMethod::Prune) s.sparsity = x;
        if (method == TuneMethod::LowRank) s.rank = rank_for_ratio(l.out, l.in, x);
        if (method == TuneMethod::Quant) s.bits = int64_t(x);
        plan.layers[l.name] = s;
      }
      return plan;
    };
    auto fits = [&](double x) { return cost_on(evaluator.cost(plan_at(x)), budget.axis) <= limit; };
    UniformPlan u;
    u.method = method;
    char buf[64];
    if (method == TuneMethod::Quant) {
      int64_t bits = 8;
      while (bits >= 2 && !fits(double(bits))) --bits;
      if (bits < 2) continue;
      u.plan = plan_at(double(bits));
      std::snprintf(buf, sizeof buf, "%lld bits", (long long)bits);
    } else {
      // Sparsity: the least that fits (more prunes more). Rank ratio: the most that fits.
      const bool prune = method == TuneMethod::Prune;
      double a = prune ? 0.0 : 1e-4, b = prune ? 0.9999 : 1.0;
      if (prune ? !fits(b) : !fits(a)) continue;
      if (prune ? fits(a) : fits(b)) {
        u.plan = plan_at(prune ? a : b);
        std::snprintf(buf, sizeof buf, prune ? "sparsity %.4f" : "rank ratio %.4f", prune ? a : b);
      } else {
        while (b - a > 1e-4) {
          const double mid = (a + b) / 2;
          if (fits(mid) == prune)
            b = mid;
          else
            a = mid;
        }
        const double x = prune ? b : a;
        u.plan = plan_at(x);
        std::snprintf(buf, sizeof buf, prune ? "sparsity %.4f" : "rank ratio %.4f", x);
      }
    }
    u.setting = buf;
    u.cost = evaluator.cost(u.plan);
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace slimlab
