#pragma once

#include <QWidget>
#include <vector>

class QCustomPlot;

namespace slimlab {

/// A 2-D run's plane in two maps: the class the model decides at each point, and the expert
/// the first MoE layer sends it to, with the training points on top (coloured by class). Both
/// maps keep equal scales on x and y (a circle stays round), and each has a key below it; the
/// experts' colours are a set of their own, apart from the classes'.
class PlaneView : public QWidget {
  Q_OBJECT
 public:
  explicit PlaneView(QWidget* parent = nullptr);
  /// `decision` and `expert` are size x size, row-major over y then x; `expert` may be empty
  /// (no MoE layer), and its map is then hidden.
  void setMaps(int size, double x0, double x1, double y0, double y1, int classes, int experts,
               const std::vector<int>& decision, const std::vector<int>& expert,
               const std::vector<double>& px, const std::vector<double>& py,
               const std::vector<int>& label);
  void clear(const QString& why);
  QCustomPlot* decisionPlot() const { return decision_; }
  QCustomPlot* expertPlot() const { return expert_; }

 private:
  QCustomPlot* decision_;
  QCustomPlot* expert_;
  double x0_ = -1, x1_ = 1, y0_ = -1, y1_ = 1;  ///< The plane the maps cover.
};

}  // namespace slimlab
