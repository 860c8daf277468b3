#include "distill_view.h"

#include <QHBoxLayout>

#include "series_plot.h"

namespace slimlab {

DistillView::DistillView(QWidget* parent)
    : QWidget(parent),
      losses_(new SeriesPlot(tr("loss"), QString(), this)),
      accuracy_(new SeriesPlot(tr("accuracy (%)"), QString(), this)) {
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(losses_, 1);  // Equal halves, whatever each title and legend asks for.
  layout->addWidget(accuracy_, 1);
  losses_->setTitle(tr("Loss components"));
  accuracy_->setTitle(tr("Student, teacher and agreement (validation)"));
  losses_->setStyles({{"train/kd_hard", tr("hard: CE with labels"), QColor(0, 114, 178)},
                      {"train/kd_soft", tr("soft: KL to the teacher"), QColor(213, 94, 0)},
                      {"train/kd_hint", tr("hints"), QColor(0, 158, 115)},
                      {"train/kd_mse", tr("logit MSE"), QColor(204, 121, 167)}});
  accuracy_->setZeroBased(false);  // Student and teacher differ by points, not tens of points.
  accuracy_->setStyles(
      {{"validation/accuracy", tr("student"), QColor(0, 114, 178), Qt::SolidLine, false, 100.0},
       {"validation/teacher_accuracy", tr("teacher"), QColor(213, 94, 0), Qt::SolidLine, false,
        100.0},
       {"validation/agreement", tr("top-1 agreement"), QColor(0, 158, 115), Qt::DashLine, false,
        100.0}});
}

void DistillView::showRun(const RunData& run) {
  losses_->showRun(run);
  accuracy_->showRun(run);
}

}  // namespace slimlab
