// The workbench window: exporting the tab in front (PNG, SVG, PDF) and a run's metrics (CSV).
#include <qcustomplot.h>

#include <QFile>
#include <QFileDialog>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QTabWidget>
#include <QTextStream>

#include "compare_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "tab_page.h"

namespace slimlab {
namespace {

// One plot as itself: vector PDF/SVG, PNG at twice the pixels (sharp on slides and HiDPI).
bool save_plot(QCustomPlot* plot, const QString& path) {
  if (path.endsWith(".pdf", Qt::CaseInsensitive)) return plot->savePdf(path);
  if (path.endsWith(".svg", Qt::CaseInsensitive)) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(plot->size());
    svg.setViewBox(plot->rect());
    svg.setTitle(QObject::tr("SlimLab plot"));
    QCPPainter painter(&svg);
    plot->toPainter(&painter, plot->width(), plot->height());
    return painter.end();
  }
  return plot->savePng(path, 0, 0, 2.0);
}

// A page of several plots and tables as the screen shows it, at twice the pixels for PNG.
bool save_page(QWidget* page, const QString& path) {
  if (path.endsWith(".pdf", Qt::CaseInsensitive)) {
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QSizeF(page->size()), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setTitle(QObject::tr("SlimLab"));
    QPainter painter(&pdf);
    const double scale = double(pdf.width()) / page->width();
    painter.scale(scale, scale);
    page->render(&painter);
    return painter.end();
  }
  if (path.endsWith(".svg", Qt::CaseInsensitive)) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(page->size());
    svg.setViewBox(page->rect());
    QPainter painter(&svg);
    page->render(&painter);
    return painter.end();
  }
  QPixmap pixmap(page->size() * 2);
  pixmap.setDevicePixelRatio(2.0);
  page->render(&pixmap);
  return pixmap.save(path);
}

}  // namespace

QString MainWindow::exportName() const {
  QString tab = tabs_->tabText(tabs_->currentIndex()).toLower().remove('&');
  if (tabs_->currentWidget() == comparePage_) {
    QStringList ids;
    for (auto id : compareIds_) ids << QString::number(id);
    return ids.isEmpty() ? tab : QString("runs%1-%2").arg(ids.join('-'), tab);
  }
  return shown_.id > 0 ? QString("run%1-%2").arg(shown_.id).arg(tab) : tab;
}

bool MainWindow::exportTab(const QString& path) {
  QWidget* page = tabs_->currentWidget();
  if (auto* tab = qobject_cast<TabPage*>(page); tab != nullptr && !tab->showingView()) {
    statusBar()->showMessage(tr("Nothing to export: this tab shows no plot for the run"), 8000);
    return false;
  }
  QList<QCustomPlot*> plots;
  for (auto* plot : page->findChildren<QCustomPlot*>()) {
    if (plot->isVisible()) plots << plot;
  }
  for (auto* plot : plots) plot->replot();  // What is exported is what the data says now.
  const bool ok = plots.size() == 1 ? save_plot(plots.front(), path) : save_page(page, path);
  statusBar()->showMessage(ok ? tr("Saved %1").arg(path) : tr("Could not write %1").arg(path),
                           8000);
  return ok;
}

void MainWindow::exportPlot() {
  auto path = QFileDialog::getSaveFileName(
      this, tr("Export tab"), exportName() + ".png",
      tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
  if (!path.isEmpty()) exportTab(path);
}

void MainWindow::exportCsv() {
  if (shown_.metrics.empty()) return;
  auto path = QFileDialog::getSaveFileName(this, tr("Export run metrics"),
                                           QString("run%1.csv").arg(shown_.id), tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
    warn(tr("Could not write"), path);
    return;
  }
  QTextStream out(&file);
  out << "run,key,step,value\n";  // The same tidy form as slimlab-cli export --csv.
  for (const auto& [key, rows] : shown_.metrics) {
    for (const auto& r : rows) {
      out << shown_.id << ',' << QString::fromStdString(key) << ',' << r.step << ','
          << QString::number(r.value, 'g', 10) << '\n';
    }
  }
  statusBar()->showMessage(tr("Saved %1").arg(path), 8000);
}

}  // namespace slimlab
