// The devices panel's item model without a view: the rows a host gives, the
// device spec the checked rows make, a design's spec shown without editing
// it, catalogue rows added and removed, and the signals a view relies on.
#include <exception>

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QSignalSpy>
#include <QTest>

#include "device_tree_model.h"

namespace lpm::gui {

class DeviceTreeModelTest : public QObject {
    Q_OBJECT

private:
    // A pretend host: 2 CPU cores and `gpus` H100s with peer access between them.
    static HostDevices host(int gpus)
    {
        HostDevices host;
        host.cpuCores = 2;
        host.cpuName = "test CPU";
        host.memoryBytes = int64_t(16) << 30;
        host.blasKernel = "Haswell";
        host.blasKernelDetail = "OpenBLAS kernel Haswell";
        host.convolutionKernels = "oneDNN 2.6.3 (avx2)";
        for (int i = 0; i < gpus; ++i)
            host.gpu.gpus.push_back(GpuDevice{i, "NVIDIA H100 80GB HBM3", int64_t(80) << 30, 132, 9, 0, 1980000, ""});
        for (int i = 0; i < gpus; ++i) {
            host.gpu.peerAccess.emplace_back(size_t(gpus), true);
            host.gpu.peerAccess.back()[size_t(i)] = false;
        }
        host.gpu.status = gpus > 0 ? std::to_string(gpus) + " GPUs" : "no CUDA driver";
        return host;
    }

    static QModelIndex device(const DeviceTreeModel& tree, DeviceTreeModel::Group group, int row, int column = 0)
    {
        return tree.index(row, column, tree.groupIndex(group));
    }

private Q_SLOTS:
    void rowsFollowTheHost()
    {
        DeviceTreeModel tree(host(2));
        QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(tree.rowCount(), 3);
        QCOMPARE(tree.columnCount(), 2);
        QCOMPARE(tree.rowCount(tree.groupIndex(DeviceTreeModel::Machine)), 2);
        QCOMPARE(tree.rowCount(tree.groupIndex(DeviceTreeModel::Gpus)), 2);
        QCOMPARE(tree.rowCount(tree.groupIndex(DeviceTreeModel::Catalogue)), 0);
        QCOMPARE(tree.headerData(0, Qt::Horizontal).toString(), QString("Device"));
        QCOMPARE(tree.headerData(1, Qt::Horizontal).toString(), QString("Details"));

        QCOMPARE(tree.groupIndex(DeviceTreeModel::Machine).data().toString(), QString("This machine"));
        const QModelIndex details = tree.index(DeviceTreeModel::Machine, 1);
        QCOMPARE(details.data().toString(), QString("test CPU, 2 usable cores, 16.0 GiB, BLAS kernel Haswell"));
        // The BLAS kernel's detail and, on a line of its own, the convolution kernels.
        QCOMPARE(details.data(Qt::ToolTipRole).toString(),
                 QString("OpenBLAS kernel Haswell\nconvolutions: oneDNN 2.6.3 (avx2)"));
        QCOMPARE(device(tree, DeviceTreeModel::Machine, 1).data().toString(), QString("CPU core 1"));
        QCOMPARE(device(tree, DeviceTreeModel::Machine, 1, 1).data().toString(),
                 QString("one pipeline stage, one thread"));

        const QModelIndex gpu = device(tree, DeviceTreeModel::Gpus, 1);
        QCOMPARE(gpu.data().toString(), QString("GPU 1: NVIDIA H100 80GB HBM3"));
        QVERIFY(gpu.data(Qt::ToolTipRole).toString().startsWith("Train on this GPU"));
        QCOMPARE(device(tree, DeviceTreeModel::Gpus, 1, 1).data().toString(),
                 QString("80.0 GiB, 132 multiprocessors, compute 9.0, 1980 MHz, peer access: 0"));

        // Device rows have a check box, groups none.
        QVERIFY(tree.flags(gpu) & Qt::ItemIsUserCheckable);
        QCOMPARE(gpu.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY(!(tree.flags(tree.groupIndex(DeviceTreeModel::Gpus)) & Qt::ItemIsUserCheckable));
        QVERIFY(!tree.groupIndex(DeviceTreeModel::Gpus).data(Qt::CheckStateRole).isValid());
        QVERIFY(!device(tree, DeviceTreeModel::Gpus, 1, 1).data(Qt::CheckStateRole).isValid());
    }

    void withoutGpusTheGroupSaysWhy()
    {
        DeviceTreeModel tree(host(0));
        const QModelIndex gpus = tree.index(DeviceTreeModel::Gpus, 1);
        QVERIFY2(gpus.data().toString().startsWith("No GPU can be used here (no CUDA driver)."),
                 qPrintable(gpus.data().toString()));
        QCOMPARE(gpus.data(Qt::ToolTipRole).toString(), gpus.data().toString());
        QCOMPARE(tree.rowCount(tree.groupIndex(DeviceTreeModel::Gpus)), 0);
    }

    void aClickedCheckEditsTheSpecOnce()
    {
        DeviceTreeModel tree(host(2));
        QSignalSpy edited(&tree, &DeviceTreeModel::checksEdited);
        QSignalSpy changed(&tree, &QAbstractItemModel::dataChanged);
        const QModelIndex core = device(tree, DeviceTreeModel::Machine, 0);
        QVERIFY(tree.setData(core, Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(edited.count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex(), core);
        QCOMPARE(changed.at(0).at(2).value<QList<int>>(), QList<int>{Qt::CheckStateRole});
        QCOMPARE(core.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        QCOMPARE(tree.deviceSpec(2), QString("cpu:1"));

        QVERIFY(tree.setData(core, Qt::Checked, Qt::CheckStateRole)); // no change: no signal
        QCOMPARE(edited.count(), 1);
        QCOMPARE(changed.count(), 1);

        QVERIFY(tree.setData(device(tree, DeviceTreeModel::Machine, 1), Qt::Checked, Qt::CheckStateRole));
        QVERIFY(tree.setData(device(tree, DeviceTreeModel::Gpus, 1), Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(edited.count(), 3);
        QCOMPARE(tree.deviceSpec(3), QString("cpu:2,cuda:1x3"));

        // Only the check of a device row is editable.
        QVERIFY(!tree.setData(tree.groupIndex(DeviceTreeModel::Machine), Qt::Checked, Qt::CheckStateRole));
        QVERIFY(!tree.setData(core, "text", Qt::EditRole));
        QVERIFY(!tree.setData(device(tree, DeviceTreeModel::Machine, 0, 1), Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(edited.count(), 3);
    }

    void specsGiveTheirChecks()
    {
        const DeviceChecks none = checksOfSpec("");
        QCOMPARE(none.cores, 0);
        QVERIFY(none.gpus.isEmpty() && none.catalog.isEmpty());
        const DeviceChecks mixed = checksOfSpec("cpu:3,catalog:H100x4,catalog:A100-80");
        QCOMPARE(mixed.cores, 3);
        QCOMPARE(mixed.gpuStages, 0);
        QCOMPARE(mixed.catalog, (QList<QPair<QString, int>>{{"H100", 4}, {"A100-80", 1}}));
        const DeviceChecks gpus = checksOfSpec("cuda:1x3,cuda:0x3");
        QCOMPARE(gpus.gpus, (QList<int>{1, 0}));
        QCOMPARE(gpus.gpuStages, 3);
    }

    void aDesignsSpecIsShownWithoutEditing()
    {
        DeviceTreeModel tree(host(2));
        QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy edited(&tree, &DeviceTreeModel::checksEdited);
        QSignalSpy inserted(&tree, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&tree, &QAbstractItemModel::dataChanged);
        tree.showChecks(checksOfSpec("cpu:2,cuda:1x2,catalog:H100x4"));
        QCOMPARE(edited.count(), 0);
        QCOMPARE(inserted.count(), 1); // the catalogue row the spec names
        QCOMPARE(inserted.at(0).at(0).toModelIndex(), tree.groupIndex(DeviceTreeModel::Catalogue));
        QCOMPARE(changed.count(), 2); // the cores' checks and the GPUs'
        QCOMPARE(tree.deviceSpec(2), QString("cpu:2,cuda:1x2,catalog:H100x4"));
        QCOMPARE(device(tree, DeviceTreeModel::Gpus, 0).data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));

        tree.showChecks(checksOfSpec("cpu:2,cuda:1x2,catalog:h100x4")); // the same (ids ignore case)
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(changed.count(), 2);

        // The catalogue row stays, unchecked, for the next what-if.
        tree.showChecks(checksOfSpec("cpu:1"));
        QCOMPARE(tree.deviceSpec(2), QString("cpu:1"));
        QCOMPARE(tree.rowCount(tree.groupIndex(DeviceTreeModel::Catalogue)), 1);
        QCOMPARE(changed.count(), 5);
        QCOMPARE(edited.count(), 0);

        // More CPU stages than cores check every core.
        tree.showChecks(checksOfSpec("cpu:5"));
        QCOMPARE(tree.deviceSpec(2), QString("cpu:2"));
    }

    void catalogueRowsAreAddedAndRemoved()
    {
        DeviceTreeModel tree(host(0));
        QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&tree, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&tree, &QAbstractItemModel::rowsRemoved);
        const QModelIndex a100 = tree.addCatalogEntry("A100-80", 2, true);
        tree.addCatalogEntry("H100", 4, false);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(a100.data().toString(), QString::fromUtf8("A100-80 × 2 (simulated)"));
        QVERIFY2(tree.index(0, 1, a100.parent()).data().toString().endsWith(", 80 GB"),
                 qPrintable(tree.index(0, 1, a100.parent()).data().toString()));
        QCOMPARE(a100.data(DeviceTreeModel::CatalogIdRole).toString(), QString("A100-80"));
        QCOMPARE(a100.data(DeviceTreeModel::CatalogCountRole).toInt(), 2);
        QCOMPARE(a100.data(Qt::ForegroundRole).value<QBrush>().color(), QColor(0x80, 0x50, 0xa0));
        QCOMPARE(tree.deviceSpec(2), QString("catalog:A100-80x2"));
        QVERIFY_THROWS_EXCEPTION(std::exception, tree.addCatalogEntry("no-such-gpu", 1, true));
        QCOMPARE(inserted.count(), 2);

        QVERIFY(!tree.removeCatalogEntry(device(tree, DeviceTreeModel::Machine, 0)));
        QVERIFY(!tree.removeCatalogEntry(tree.groupIndex(DeviceTreeModel::Catalogue)));
        QCOMPARE(removed.count(), 0);
        QVERIFY(tree.removeCatalogEntry(device(tree, DeviceTreeModel::Catalogue, 0, 1))); // either column
        QCOMPARE(removed.count(), 1);
        QCOMPARE(tree.rowCount(tree.groupIndex(DeviceTreeModel::Catalogue)), 1);
        QCOMPARE(device(tree, DeviceTreeModel::Catalogue, 0).data().toString(),
                 QString::fromUtf8("H100 × 4 (simulated)"));
        QCOMPARE(tree.deviceSpec(2), QString());
    }

    void retranslateTellsTheViews()
    {
        DeviceTreeModel tree(host(1));
        tree.addCatalogEntry("H100", 4, true);
        QSignalSpy header(&tree, &QAbstractItemModel::headerDataChanged);
        QSignalSpy changed(&tree, &QAbstractItemModel::dataChanged);
        tree.retranslate();
        QCOMPARE(header.count(), 1);
        QCOMPARE(changed.count(), 4); // the groups, then each group's rows
    }
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::DeviceTreeModelTest)
#include "test_gui_device_tree_model.moc"
