#include "help_text.h"

#include <QAction>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QMenu>
#include <QMenuBar>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace slimlab {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("Help", text); }

QString plain(QString text) { return text.remove('&'); }  // "&Open store..." -> "Open store..."

}  // namespace

QString quick_start_html() {
  return tr(
      "<h3>Quick start</h3><ol>"
      "<li><b>Choose an experiment</b> in the list at the top left. The line under the list "
      "says what it shows, how long it runs and what it needs first. <i>mlp-spirals</i> and "
      "<i>moe-spirals</i> finish in seconds.</li>"
      "<li><b>Start it</b>: double-click it, or Run &gt; Start. <i>Edit...</i> opens its "
      "settings first (a form or the JSON) and can save them as your own preset.</li>"
      "<li><b>Watch it train</b>: <i>Loss</i> shows loss and accuracy as they come; "
      "<i>Experts</i>, <i>Sparsity</i>, <i>Distillation</i> and <i>Plane</i> show what the "
      "method does. Hover a plot for its values. Run &gt; Pause and Stop control the run.</li>"
      "<li><b>Find it again</b>: every run is kept in the store (its file is named in the status "
      "bar). Click a run in the <i>Runs</i> table to show it; right-click for tags, notes, its "
      "spec or deletion. Runs started from a terminal with <tt>slimlab-cli --db FILE run "
      "SPEC</tt> go to the same store.</li>"
      "<li><b>Compare runs</b>: select several rows (Ctrl+click or Shift+click). The "
      "<i>Compare</i> tab overlays their curves and plots accuracy against cost; click a point "
      "to open its run.</li>"
      "<li><b>Keep the results</b>: File &gt; Export tab saves what the tab shows, named "
      "after the run and the tab; File &gt; Export run metrics writes a CSV.</li></ol>");
}

QString shortcuts_html(const QMenuBar* menus) {
  QString rows;
  for (const auto* top : menus->actions()) {
    if (top->menu() == nullptr) continue;
    for (const auto* action : top->menu()->actions()) {
      if (action->shortcut().isEmpty()) continue;
      rows += QString("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2 &gt; %3</td></tr>")
                  .arg(action->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                       plain(top->text()).toHtmlEscaped(), plain(action->text()).toHtmlEscaped());
    }
  }
  return tr("<h3>Keyboard shortcuts</h3><table>") + rows +
         tr("</table><h3>Plots</h3><table>"
            "<tr><td><b>hover</b>&nbsp;&nbsp;</td><td>values of the nearest points or "
            "cell</td></tr>"
            "<tr><td><b>drag</b></td><td>pan (loss and series plots)</td></tr>"
            "<tr><td><b>wheel</b></td><td>zoom (loss and series plots)</td></tr>"
            "<tr><td><b>double-click</b></td><td>reset the zoom</td></tr>"
            "<tr><td><b>Ctrl+click, Shift+click</b>&nbsp;&nbsp;</td>"
            "<td>select several runs to compare</td></tr></table>");
}

void show_help(QWidget* parent, const QString& title, const QString& html) {
  auto* dialog = new QDialog(parent);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setWindowTitle(title);
  auto* layout = new QVBoxLayout(dialog);
  auto* text = new QTextBrowser(dialog);
  text->setHtml(html);
  text->setOpenExternalLinks(true);
  layout->addWidget(text);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
  QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
  layout->addWidget(buttons);
  dialog->resize(560, 460);
  dialog->show();
}

}  // namespace slimlab
