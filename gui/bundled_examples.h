// The example designs bundled with LPM Studio (resources/examples, compiled in
// under :/examples/), each with one line on what it shows. File ▸ Examples
// lists them; the first is the default design, which the studio opens on
// first start and trains in the terminal without a display.
#pragma once

#include <QString>
#include <QVector>

namespace lpm::gui {

struct BundledExample {
    QString path;    // ":/examples/NAME.lpm.json"
    QString title;   // in the current language, e.g. "resnet-mini: a cut that balances"
    QString summary; // one line on what it shows, in the current language
};

// In menu order; the default design first. Texts follow the installed translator.
QVector<BundledExample> bundledExamples();

// bundledExamples().front().path.
QString defaultExamplePath();

} // namespace lpm::gui
