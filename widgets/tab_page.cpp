#include "tab_page.h"

#include <QLabel>

namespace slimlab {

TabPage::TabPage(QWidget* view, QWidget* parent)
    : QStackedWidget(parent), view_(view), message_(new QLabel(this)) {
  message_->setAlignment(Qt::AlignCenter);
  message_->setWordWrap(true);
  message_->setTextFormat(Qt::RichText);
  message_->setMargin(40);
  // Larger than the body text: the sentence is the whole content of the page.
  QFont font = message_->font();
  font.setPointSizeF(font.pointSizeF() * 1.25);
  message_->setFont(font);
  addWidget(view_);
  addWidget(message_);
}

void TabPage::showView() { setCurrentWidget(view_); }

void TabPage::showMessage(const QString& text) {
  message_->setText(text);
  setCurrentWidget(message_);
}

QString TabPage::message() const { return showingView() ? QString() : message_->text(); }

}  // namespace slimlab
