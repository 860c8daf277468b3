#include "data/toy2d.h"

#include <cmath>
#include <random>

namespace slimlab {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

int64_t toy2d_classes(DatasetKind kind, int64_t requested) {
  return kind == DatasetKind::Spirals || kind == DatasetKind::Blobs ? requested : 2;
}

TensorDataset make_toy2d(DatasetKind kind, int64_t points, int64_t classes, double noise,
                         uint64_t seed) {
  classes = toy2d_classes(kind, classes);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto x = torch::empty({points, 2}, torch::kFloat32);
  auto y = torch::empty({points}, torch::kInt64);
  auto xa = x.accessor<float, 2>();
  auto ya = y.accessor<int64_t, 1>();
  for (int64_t i = 0; i < points; ++i) {
    int64_t label = i % classes;  // Balanced classes, interleaved.
    double px = 0, py = 0;
    double u = uniform(rng);
    switch (kind) {
      case DatasetKind::Spirals: {
        // Arm `label` of `classes` interleaved spirals, 1.5 turns, radius 0.05..1.
        double r = 0.05 + 0.95 * u;
        double theta = 3.0 * kPi * u + 2.0 * kPi * double(label) / double(classes);
        px = r * std::cos(theta);
        py = r * std::sin(theta);
        break;
      }
      case DatasetKind::Moons: {
        double t = kPi * u;
        if (label == 0) {
          px = std::cos(t) - 0.5;
          py = std::sin(t) - 0.25;
        } else {
          px = 0.5 - std::cos(t);
          py = 0.25 - std::sin(t);
        }
        break;
      }
      case DatasetKind::Circles: {
        double r = label == 0 ? 0.5 : 1.0;
        px = r * std::cos(2.0 * kPi * u);
        py = r * std::sin(2.0 * kPi * u);
        break;
      }
      case DatasetKind::Blobs: {
        double angle = 2.0 * kPi * double(label) / double(classes);
        px = std::cos(angle) + 0.25 * gauss(rng);
        py = std::sin(angle) + 0.25 * gauss(rng);
        break;
      }
      default: {  // Xor: quadrants, positive product is class 1.
        px = 2.0 * u - 1.0;
        py = 2.0 * uniform(rng) - 1.0;
        label = px * py > 0 ? 1 : 0;
        break;
      }
    }
    xa[i][0] = float(px + noise * gauss(rng));
    xa[i][1] = float(py + noise * gauss(rng));
    ya[i] = label;
  }
  return {x, y};
}

}  // namespace slimlab
