#pragma once

#include <cstdint>

#include "data/dataset.h"

namespace slimlab {

/// Generates one of the 2-D teaching sets (spirals, moons, circles, blobs, xor), as in
/// TensorFlow Playground: `points` examples, labels balanced across `classes`, Gaussian noise
/// of standard deviation `noise`. The same (kind, points, classes, noise, seed) always gives the
/// same points. x is float [points, 2], coordinates roughly in -1.5..1.5.
TensorDataset make_toy2d(DatasetKind kind, int64_t points, int64_t classes, double noise,
                         uint64_t seed);

/// Number of classes a 2-D set has (spirals and blobs use `requested`, the others 2).
int64_t toy2d_classes(DatasetKind kind, int64_t requested);

}  // namespace slimlab
