#include "tune_window.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMetaObject>
#include <QMouseEvent>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "lowrank/factorize.h"
#include "plot_style.h"
#include "spec/experiment_spec.h"
#include "tune/plan_run.h"
#include "tune_window_parts.h"
#include "util/number_text.h"

namespace slimlab {
using namespace tune_ui;

TuneWindow::TuneWindow(const QString& storePath, const QString& run, QWidget* parent)
    : QWidget(parent, Qt::Window),
      storePath_(storePath),
      run_(run),
      evalThread_(new QThread(this)),
      evalContext_(new QObject),
      curveThread_(new QThread(this)),
      curveContext_(new QObject),
      evalCancel_(std::make_shared<std::atomic<bool>>(false)),
      closing_(std::make_shared<std::atomic<bool>>(false)) {
  setWindowTitle(tr("Tune run %1").arg(run));
  evalContext_->moveToThread(evalThread_);
  curveContext_->moveToThread(curveThread_);
  evalThread_->start();
  curveThread_->start();

  auto* column = new QVBoxLayout(this);
  title_ =
      new QLabel(tr("Loading run %1: its weights and 2,000 validation examples...").arg(run), this);
  title_->setWordWrap(true);
  column->addWidget(title_);
  auto* body = new QHBoxLayout;
  column->addLayout(body, 1);

  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  controls_ = new QWidget(scroll);
  grid_ = new QGridLayout(controls_);
  scroll->setWidget(controls_);
  scroll->setMinimumWidth(400);  // Narrower windows scroll the grid sideways.
  body->addWidget(scroll, 1);

  auto* right = new QVBoxLayout;
  body->addLayout(right, 1);
  figures_ = new QLabel(this);
  figures_->setTextFormat(Qt::RichText);
  figures_->setWordWrap(true);  // Its small print must not widen the window.
  figures_->setMinimumHeight(70);
  right->addWidget(figures_);

  auto* plotBar = new QHBoxLayout;
  plotBar->addWidget(new QLabel(tr("Cost axis:"), this));
  costAxis_ = new QComboBox(this);
  costAxis_->addItems({tr("parameters"), tr("bytes"), tr("MACs")});
  plotBar->addWidget(costAxis_);
  plotBar->addStretch(1);
  undo_ = new QPushButton(tr("Undo"), this);
  redo_ = new QPushButton(tr("Redo"), this);
  undo_->setShortcut(QKeySequence::Undo);
  redo_->setShortcut(QKeySequence::Redo);
  plotBar->addWidget(undo_);
  plotBar->addWidget(redo_);
  right->addLayout(plotBar);
  tradeOff_ = new QCustomPlot(this);
  tradeOff_->setMinimumHeight(220);
  style_plot(tradeOff_,
             tr("Every setting tried: accuracy against cost (click a point to restore it)"));
  tradeOff_->xAxis->setLabel(tr("cost, % of the trained network"));
  tradeOff_->yAxis->setLabel(tr("accuracy on the sample, %"));
  put_legend_below(tradeOff_);
  tradeOff_->legend->setVisible(true);
  right->addWidget(tradeOff_, 3);

  auto* curveBar = new QHBoxLayout;
  curveBar->addWidget(new QLabel(tr("Sensitivity of each layer alone to:"), this));
  curveMethod_ = new QComboBox(this);
  curveMethod_->addItems(
      {tr("pruning (sparsity)"), tr("low rank (parameters kept)"), tr("quantisation (bits)")});
  curveBar->addWidget(curveMethod_);
  curveBar->addStretch(1);
  right->addLayout(curveBar);
  curvePlot_ = new QCustomPlot(this);
  curvePlot_->setMinimumHeight(180);
  style_plot(curvePlot_, tr("Sensitivity curves: computing..."));
  put_legend_below(curvePlot_);
  right->addWidget(curvePlot_, 2);

  auto* budgetBar = new QHBoxLayout;
  budgetBar->addWidget(new QLabel(tr("Fit a budget:"), this));
  budgetAxis_ = new QComboBox(this);
  budgetAxis_->addItems({tr("parameters"), tr("bytes"), tr("MACs")});
  budgetBar->addWidget(budgetAxis_);
  budgetShare_ = new QDoubleSpinBox(this);
  budgetShare_->setRange(0.01, 1.0);
  budgetShare_->setSingleStep(0.05);
  budgetShare_->setValue(0.25);
  budgetShare_->setToolTip(tr("Share of the trained network's cost the plan may keep"));
  budgetBar->addWidget(budgetShare_);
  budgetMethods_ = new QComboBox(this);
  for (const auto& [label, methods] : fit_methods()) budgetMethods_->addItem(label);
  budgetBar->addWidget(budgetMethods_);
  fit_ = new QPushButton(tr("Fit"), this);
  fit_->setEnabled(false);
  fit_->setToolTip(tr("Needs the sensitivity curves"));
  budgetBar->addWidget(fit_);
  right->addLayout(budgetBar);

  auto* tuneBar = new QHBoxLayout;
  tuneBar->addWidget(new QLabel(tr("Fine-tune this setting for"), this));
  steps_ = new QSpinBox(this);
  steps_->setRange(1, 1'000'000);
  steps_->setValue(300);
  steps_->setSuffix(tr(" steps"));
  tuneBar->addWidget(steps_);
  fineTuneButton_ = new QPushButton(tr("Fine-tune as a child run"), this);
  fineTuneButton_->setEnabled(false);
  tuneBar->addWidget(fineTuneButton_);
  tuneBar->addStretch(1);
  right->addLayout(tuneBar);

  status_ = new QLabel(this);
  status_->setWordWrap(true);
  column->addWidget(status_);
  resize(1360, 820);

  connect(costAxis_, &QComboBox::currentIndexChanged, this, [this] { drawTradeOff(); });
  connect(curveMethod_, &QComboBox::currentIndexChanged, this, [this] { drawCurves(); });
  connect(undo_, &QPushButton::clicked, this, &TuneWindow::undo);
  connect(redo_, &QPushButton::clicked, this, &TuneWindow::redo);
  connect(fit_, &QPushButton::clicked, this,
          [this] { fitBudget(CostAxis(budgetAxis_->currentIndex()), budgetShare_->value()); });
  connect(fineTuneButton_, &QPushButton::clicked, this, [this] { fineTune(steps_->value()); });
  connect(tradeOff_, &QCustomPlot::mousePress, this,
          [this](QMouseEvent* e) { onPlotClick(e->position().x(), e->position().y()); });

  // Load on the worker: the store and the dataset are disk.
  const std::string store = storePath.toStdString(), reference = run.toStdString();
  onWorker(evalContext_, [this, store, reference] {
    auto evaluator = std::make_shared<PlanEvaluator>(store, reference, kSamples);
    auto dense = evaluator->evaluate({});
    const QString title = tr("Tune run %1 (%2): %3 %4 examples, each change evaluated at once")
                              .arg(evaluator->run_id())
                              .arg(QString::fromStdString(evaluator->run_name()))
                              .arg(number(evaluator->samples()))
                              .arg(QString::fromStdString(evaluator->split()));
    evaluator_ = evaluator;
    toGui([this, id = evaluator->run_id(), layers = evaluator->layers(), d = *dense, title] {
      onLoaded(id, layers, d, title);
    });
  });
}

TuneWindow::~TuneWindow() {
  closing_->store(true);
  evalCancel_->store(true);
  evalThread_->quit();
  curveThread_->quit();
  evalThread_->wait();
  curveThread_->wait();
  delete evalContext_;  // Drops jobs that never ran.
  delete curveContext_;
}

void TuneWindow::onLoaded(qint64 runId, std::vector<TunableLayer> layers, PlanMetrics dense,
                          QString title) {
  runId_ = runId;
  run_ = QString::number(runId);  // Curves, fits and fine-tunes: the run found, by id.
  setWindowTitle(tr("Tune run %1").arg(runId));
  layers_ = std::move(layers);
  dense_ = dense;
  title_->setText(title);
  buildControls();
  points_.push_back({CompressionPlan{}, dense, false});
  history_ = {0};
  historyAt_ = 0;
  shownPoint_ = 0;
  shown_ = dense;
  shownPlan_ = {};
  showMetrics(dense);
  drawTradeOff();
  fineTuneButton_->setEnabled(true);
  setStatus(tr("Move a control: the network is re-compressed and evaluated at once."));
  Q_EMIT loaded();
  startCurves();
}

void TuneWindow::buildControls() {
  int row = 0;
  const QStringList heads = {tr("Layer"), tr("Weight"), tr("Sparsity"), "",
                             tr("Rank"),  "",           tr("Bits"),     ""};
  for (int c = 0; c < heads.size(); ++c) {
    auto* h = new QLabel("<b>" + heads[c] + "</b>", controls_);
    grid_->addWidget(h, row, c);
  }
  ++row;
  auto add_row = [&](LayerControls& rc, int index, const QString& name, const QString& shape,
                     int maxRank) {
    grid_->addWidget(new QLabel(name, controls_), row, 0);
    grid_->addWidget(new QLabel(shape, controls_), row, 1);
    rc.sparsity =
        slider(controls_, 0, 95, 0, tr("Magnitude pruning: share of the weights set to zero"));
    rc.rank = slider(controls_, index < 0 ? 2 : 1, maxRank, maxRank,
                     index < 0 ? tr("Low rank: share of each layer's parameters kept")
                               : tr("Low rank: the weight's best rank-k approximation (SVD)"));
    rc.bits = slider(controls_, 2, kFloatBits, kFloatBits,
                     tr("Weight quantisation: bits per weight, symmetric, per channel (right "
                        "end: float)"));
    rc.sparsityText = new QLabel(controls_);
    rc.rankText = new QLabel(controls_);
    rc.bitsText = new QLabel(controls_);
    for (auto* l : {rc.sparsityText, rc.rankText, rc.bitsText}) l->setMinimumWidth(48);
    grid_->addWidget(rc.sparsity, row, 2);
    grid_->addWidget(rc.sparsityText, row, 3);
    grid_->addWidget(rc.rank, row, 4);
    grid_->addWidget(rc.rankText, row, 5);
    grid_->addWidget(rc.bits, row, 6);
    grid_->addWidget(rc.bitsText, row, 7);
    const QString object = index < 0 ? "all" : name;
    rc.sparsity->setObjectName("sparsity:" + object);
    rc.rank->setObjectName("rank:" + object);
    rc.bits->setObjectName("bits:" + object);
    connect(rc.sparsity, &QSlider::valueChanged, this,
            [this, index] { onSlider(index, kSparsity); });
    connect(rc.rank, &QSlider::valueChanged, this, [this, index] { onSlider(index, kRank); });
    connect(rc.bits, &QSlider::valueChanged, this, [this, index] { onSlider(index, kBits); });
    ++row;
  };
  add_row(global_, -1, tr("all layers"), "", 100);
  rows_.resize(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    rows_[i].layer = l;
    add_row(rows_[i], int(i), QString::fromStdString(l.name),
            QString("%1 x %2").arg(l.out).arg(l.in), int(l.max_rank()));
  }
  grid_->setRowStretch(row, 1);
  updateLabels();
}

bool TuneWindow::setControl(const QString& layer, const QString& control, int value) {
  auto* s = controls_->findChild<QSlider*>(control + ":" + layer);
  if (s == nullptr) return false;
  s->setValue(value);
  return true;
}

void TuneWindow::onSlider(int row, int control) {
  if (restoring_) return;
  restoring_ = true;  // Programmatic moves below must not come back here.
  if (row < 0) {
    for (auto& rc : rows_) {
      if (control == kSparsity) rc.sparsity->setValue(global_.sparsity->value());
      if (control == kBits) rc.bits->setValue(global_.bits->value());
      if (control == kRank) {
        const int pct = global_.rank->value();
        const auto& l = rc.layer;
        const int64_t k = pct >= 100 ? l.max_rank() : rank_for_ratio(l.out, l.in, pct / 100.0);
        rc.rank->setValue(int(std::min(k, l.max_rank())));
      }
    }
  }
  // A layer is pruned or factorised, and a factorised layer is not quantised (the plan's rule).
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (row >= 0 && size_t(row) != i) continue;
    auto& rc = rows_[i];
    if (control == kRank && rc.rank->value() < rc.rank->maximum()) {
      rc.sparsity->setValue(0);
      rc.bits->setValue(kFloatBits);
    } else if ((control == kSparsity && rc.sparsity->value() > 0) ||
               (control == kBits && rc.bits->value() < kFloatBits)) {
      rc.rank->setValue(rc.rank->maximum());
    }
  }
  restoring_ = false;
  planFromControls();
  updateLabels();
  requestEvaluation();
}

void TuneWindow::updateLabels() {
  auto label = [](LayerControls& rc, bool global) {
    rc.sparsityText->setText(QString::number(rc.sparsity->value()) + "%");
    const int r = rc.rank->value();
    if (global) {
      rc.rankText->setText(r >= 100 ? QObject::tr("full") : QString("%1% params").arg(r));
    } else {
      rc.rankText->setText(r >= rc.rank->maximum()
                               ? QObject::tr("full")
                               : QString("%1 / %2").arg(r).arg(rc.rank->maximum()));
    }
    const int b = rc.bits->value();
    rc.bitsText->setText(b >= kFloatBits ? QObject::tr("float") : QString::number(b));
  };
  label(global_, true);
  for (auto& rc : rows_) label(rc, false);
  // The global sliders only set every layer: once the layers differ they say so.
  auto mark_mixed = [this](QSlider* LayerControls::*control, QLabel* text) {
    const int first = (rows_.front().*control)->value();
    if (std::any_of(rows_.begin(), rows_.end(),
                    [&](const LayerControls& rc) { return (rc.*control)->value() != first; })) {
      text->setText(tr("mixed"));
    }
  };
  if (!rows_.empty()) {
    mark_mixed(&LayerControls::sparsity, global_.sparsityText);
    mark_mixed(&LayerControls::bits, global_.bitsText);
  }
}

void TuneWindow::planFromControls() {
  plan_.layers.clear();
  for (auto& rc : rows_) {
    LayerSetting s;
    if (rc.sparsity->value() > 0) s.sparsity = rc.sparsity->value() / 100.0;
    if (rc.rank->value() < rc.rank->maximum()) s.rank = rc.rank->value();
    if (rc.bits->value() < kFloatBits) s.bits = rc.bits->value();
    if (!s.empty()) plan_.layers[rc.layer.name] = s;
  }
}

void TuneWindow::showPlanInControls(const CompressionPlan& plan) {
  restoring_ = true;
  for (auto& rc : rows_) {
    auto it = plan.layers.find(rc.layer.name);
    const LayerSetting s = it == plan.layers.end() ? LayerSetting{} : it->second;
    rc.sparsity->setValue(s.sparsity ? int(std::lround(*s.sparsity * 100)) : 0);
    rc.rank->setValue(s.rank ? int(*s.rank) : rc.rank->maximum());
    rc.bits->setValue(s.bits ? int(*s.bits) : kFloatBits);
  }
  restoring_ = false;
  plan_ = plan;  // Exactly the plan (a fitted sparsity need not be a whole percent).
  updateLabels();
}

std::optional<PlanMetrics> TuneWindow::shownMetrics() const { return shown_; }

void TuneWindow::restorePoint(int index) {
  if (index < 0 || index >= int(points_.size())) return;
  evalCancel_->store(true);
  ++serial_;  // A result still on its way is no longer wanted.
  const auto& p = points_[size_t(index)];
  showPlanInControls(p.plan);
  history_.resize(size_t(historyAt_ + 1));
  history_.push_back(index);
  historyAt_ = int(history_.size()) - 1;
  shownPoint_ = index;
  shownPlan_ = p.plan;
  shown_ = p.metrics;
  showMetrics(p.metrics);
  drawTradeOff();
  setStatus(tr("Restored an earlier setting."));
  Q_EMIT metricsShown();
}

void TuneWindow::undo() {
  if (historyAt_ > 0) showHistory(historyAt_ - 1);
}

void TuneWindow::redo() {
  if (historyAt_ + 1 < int(history_.size())) showHistory(historyAt_ + 1);
}

void TuneWindow::showHistory(int at) {
  evalCancel_->store(true);
  ++serial_;  // A result still on its way is no longer wanted.
  historyAt_ = at;
  const int index = history_[size_t(at)];
  showPlanInControls(points_[size_t(index)].plan);
  shownPoint_ = index;
  shownPlan_ = points_[size_t(index)].plan;
  shown_ = points_[size_t(index)].metrics;
  showMetrics(*shown_);
  drawTradeOff();
  Q_EMIT metricsShown();
}

void TuneWindow::setStatus(const QString& text) { status_->setText(text); }

QString TuneWindow::statusText() const { return status_->text(); }

}  // namespace slimlab
