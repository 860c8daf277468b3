#pragma once

#include <QString>

class QMenuBar;
class QWidget;

namespace slimlab {

/// Help > Quick start: the steps from an empty store to a first run and a comparison of runs.
QString quick_start_html();

/// Help > Keyboard shortcuts: every action in `menus` that has a shortcut (read from the menus,
/// so the list cannot drift from them), then the mouse gestures of the plots.
QString shortcuts_html(const QMenuBar* menus);

/// Shows `html` in a window of its own over `parent` (not modal: the user can follow the steps
/// with it open). GUI thread.
void show_help(QWidget* parent, const QString& title, const QString& html);

}  // namespace slimlab
