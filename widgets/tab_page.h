#pragma once

#include <QStackedWidget>

class QLabel;

namespace slimlab {

/// One tab of the workbench: a view, or in its place a sentence saying what the view shows and
/// when it fills ("The plane maps appear when this run finishes"). A tab that does not apply to
/// the selected run says so instead of showing an empty or stale plot. GUI thread only.
class TabPage : public QStackedWidget {
  Q_OBJECT
 public:
  /// Takes `view` (reparented to the page).
  explicit TabPage(QWidget* view, QWidget* parent = nullptr);
  /// Shows the view.
  void showView();
  /// Shows `text` (rich text allowed) in place of the view.
  void showMessage(const QString& text);
  bool showingView() const { return currentWidget() == view_; }
  QWidget* view() const { return view_; }
  /// The sentence shown, or "" while the view is shown.
  QString message() const;

 private:
  QWidget* view_;
  QLabel* message_;
};

}  // namespace slimlab
