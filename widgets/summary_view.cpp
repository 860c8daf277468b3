#include "summary_view.h"

#include <QTextBrowser>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "method/method_registry.h"
#include "method/method_summary.h"

namespace slimlab {
namespace {

QString escaped(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

nlohmann::json newest_summary(const RunData& run) {
  nlohmann::json summary;
  for (const auto& e : run.events) {
    if (e.kind == "summary") summary = nlohmann::json::parse(e.payload_json, nullptr, false);
  }
  return summary.is_object() ? summary : nlohmann::json();
}

QString figures_table(const std::vector<std::pair<std::string, std::string>>& figures) {
  QString html = "<table cellspacing='0' cellpadding='3'>";
  for (const auto& [name, value] : figures) {
    html += "<tr><td>" + escaped(name) + "</td><td align='right'><b>" + escaped(value) +
            "</b></td></tr>";
  }
  return html + "</table>";
}

}  // namespace

SummaryView::SummaryView(QWidget* parent) : QWidget(parent), text_(new QTextBrowser(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 8, 8, 8);
  layout->addWidget(text_);
}

bool SummaryView::hasSummary(const RunData& run) { return !newest_summary(run).is_null(); }

void SummaryView::showRun(const RunData& run) {
  const auto summary = newest_summary(run);
  QString html = "<h3>" + tr("Run #%1 (%2)").arg(run.id).arg(run.name.toHtmlEscaped()) + "</h3>";
  if (summary.is_null()) {
    text_->setHtml(html + tr("The summary appears when the run ends."));
    return;
  }
  std::vector<std::pair<std::string, std::string>> run_figures;
  for (const char* key : {"status", "test_accuracy", "params", "params_active", "macs_per_sample",
                          "steps", "train_seconds", "steps_per_second"}) {
    if (summary.contains(key)) {
      run_figures.emplace_back(key, layout_summary({{key, summary[key]}}).figures.front().second);
    }
  }
  html += figures_table(run_figures);
  bool any = false;
  for (const auto* method : registered_methods()) {
    if (!summary.contains(method->key)) continue;
    any = true;
    const auto layout = layout_summary(summary[method->key]);
    html += "<h3>" + escaped(method->label) + " <small>(" + escaped(method->key) + ")</small></h3>";
    html += figures_table(layout.figures);
    for (const auto& t : layout.tables) {
      html += "<p><b>" + escaped(t.name) +
              "</b></p><table border='1' cellspacing='0' "
              "cellpadding='3'><tr>";
      for (const auto& c : t.columns) html += "<th>" + escaped(c) + "</th>";
      html += "</tr>";
      for (const auto& row : t.rows) {
        html += "<tr>";
        for (const auto& cell : row) html += "<td align='right'>" + escaped(cell) + "</td>";
        html += "</tr>";
      }
      html += "</table>";
    }
  }
  if (!any) {
    QStringList labels;
    for (const auto* method : registered_methods()) labels << escaped(method->label);
    html += "<p>" +
            tr("This run has no section of the methods summarised here (%1). The Sparsity, "
               "Distillation and Experts tabs show pruning, distillation and mixtures of experts.")
                .arg(labels.join(", ")) +
            "</p>";
  }
  text_->setHtml(html);
}

QString SummaryView::html() const { return text_->toHtml(); }

}  // namespace slimlab
