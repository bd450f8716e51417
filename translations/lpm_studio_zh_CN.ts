<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>BundledExamples</name>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="17"/>
        <source>resnet-flat on two CPU cores (lpm)</source>
        <translation>resnet-flat，两个 CPU 核心（lpm）</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="18"/>
        <source>A cut that balances: eight equal residual blocks, four per core, train about 1.7x faster than on one core, with weights identical to sequential training.</source>
        <translation>均衡的切分：八个相同的残差块，每个核心四个，训练速度约为单核的 1.7 倍，权重与顺序训练完全相同。</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="21"/>
        <source>cnn on two CPU cores (lpm): a cut that cannot pay</source>
        <translation>cnn，两个 CPU 核心（lpm）：无法获益的切分</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="22"/>
        <source>One convolution holds most of the work, so no two-stage cut passes about 1.2x; the planner says so and suggests dp.</source>
        <translation>一个卷积层占了大部分计算，任何两段切分都超不过约 1.2 倍；规划器会指出这一点并建议使用 dp。</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="25"/>
        <source>cnn data parallel on two CPU cores (dp)</source>
        <translation>cnn 数据并行，两个 CPU 核心（dp）</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="26"/>
        <source>Each core holds the whole model and trains half of each mini-batch; gradients are summed every step: about 2x where a cut cannot balance.</source>
        <translation>每个核心持有整个模型并训练每个小批量的一半；每步对梯度求和：在切分无法均衡时约快 2 倍。</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="29"/>
        <source>gpt-mini on two CPU cores (lpm)</source>
        <translation>gpt-mini 在两个 CPU 核心上（lpm）</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="30"/>
        <source>A byte-level GPT learns the Jargon File: embeddings and two blocks on one core, two blocks and the head on the other, about 1.6x faster than one core; samples of its text as it learns.</source>
        <translation>字节级 GPT 学习 Jargon File：嵌入层和两个块在一个核心上，另两个块和输出头在另一个核心上，比单核快约 1.6 倍；学习过程中显示它生成的文本。</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="34"/>
        <source>vgg-mini on A100s and V100s: a what-if plan</source>
        <translation>vgg-mini 在 A100 与 V100 上：假设规划</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="35"/>
        <source>Catalogue GPUs of two speeds, simulated: lpm gives the faster GPUs more layers. Planning only; training needs this machine&apos;s devices.</source>
        <translation>两种速度的目录 GPU（模拟）：lpm 给较快的 GPU 分配更多层。仅用于规划；训练需要本机的设备。</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="38"/>
        <source>gpt2-xl on eight H100s: a what-if plan</source>
        <translation>gpt2-xl 在八块 H100 上：假设规划</translation>
    </message>
    <message>
        <location filename="../gui/bundled_examples.cpp" line="39"/>
        <source>GPT-2 XL (1.6 billion parameters, AdamW) cut into eight stages of six or seven blocks: memory per stage against 80 GB, predicted about 5x; planning only.</source>
        <translation>GPT-2 XL（16 亿参数，AdamW）切分为八个阶段，每段六到七个块：每阶段内存对照 80 GB，预测加速约 5 倍；仅用于规划。</translation>
    </message>
</context>
<context>
    <name>lpm::gui::DesignModel</name>
    <message>
        <location filename="../gui/design_model.cpp" line="70"/>
        <source>No design is open.</source>
        <translation>没有打开的设计。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="91"/>
        <source>Wait until this CPU&apos;s profile of %1 is taken.</source>
        <translation>请等待本机 CPU 对 %1 的性能剖析完成。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="154"/>
        <source>This CPU cannot profile it: %1. Choose GPUs in the devices panel (for example catalog:V100x4) to plan it.</source>
        <translation>本机 CPU 无法测量它：%1。请在设备面板中选择 GPU（例如 catalog:V100x4）来规划它。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="177"/>
        <source>Move cut %1</source>
        <translation>移动切分点 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="182"/>
        <source>The %1 schedule has no cuts to move.</source>
        <translation>%1 调度没有可移动的切分点。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="184"/>
        <source>A cut moves between its neighbours: stage %1 would be empty.</source>
        <translation>切分点只能在相邻切分点之间移动：阶段 %1 将为空。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="198"/>
        <source>Merge stages %1 and %2</source>
        <translation>合并阶段 %1 和 %2</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="202"/>
        <source>The %1 schedule has no stages to merge.</source>
        <translation>%1 调度没有可合并的阶段。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="214"/>
        <source>Split stage %1</source>
        <translation>拆分阶段 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="218"/>
        <source>The %1 schedule has no stages to split.</source>
        <translation>%1 调度没有可拆分的阶段。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="221"/>
        <source>All %1 devices hold a stage: add a device to split one.</source>
        <translation>全部 %1 个设备都已承载阶段：请先添加设备再拆分。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="224"/>
        <source>Stage %1 holds units %2 to %3: it splits before one of units %4 to %3.</source>
        <translation>阶段 %1 包含单元 %2 至 %3：只能在单元 %4 至 %3 之一之前拆分。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="239"/>
        <source>Auto-merge (%1)</source>
        <translation>自动合并（%1）</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="250"/>
        <source>Recompute stage %1</source>
        <translation>重计算阶段 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="250"/>
        <source>Keep activations of stage %1</source>
        <translation>保留阶段 %1 的激活</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="266"/>
        <source>Stage %1 on one core</source>
        <translation>阶段 %1 使用一个核心</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="267"/>
        <source>Stage %1 on %2 cores</source>
        <translation>阶段 %1 使用 %2 个核心</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="272"/>
        <source>The %1 schedule runs one stage per device: it replicates no stage.</source>
        <translation>%1 调度每个设备运行一个阶段：它不复制阶段。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="276"/>
        <source>Stages are replicated on CPU cores only; replicating a stage over GPUs is not available yet.</source>
        <translation>阶段只能在 CPU 核心上复制；在 GPU 上复制阶段尚不可用。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="283"/>
        <source>Stage %1 on %2 cores: the stages would need %3 of the %4 cores.</source>
        <translation>阶段 %1 使用 %2 个核心：各阶段将需要 %4 个核心中的 %3 个。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="306"/>
        <source>Model %1</source>
        <translation>模型 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="326"/>
        <source>Devices %1</source>
        <translation>设备 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="340"/>
        <source>Schedule %1 with recomputation</source>
        <translation>调度 %1（带重计算）</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="341"/>
        <source>Schedule %1 with replicated stages</source>
        <translation>调度 %1（复制阶段）</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="342"/>
        <source>Schedule %1</source>
        <translation>调度 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="356"/>
        <source>No other schedule is predicted clearly faster than %1.</source>
        <translation>没有其他调度被预测明显快于 %1。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="361"/>
        <source>Suggested schedule %1</source>
        <translation>建议的调度 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="368"/>
        <source>Partitioner %1</source>
        <translation>划分器 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="375"/>
        <source>Batch %1, %2 micro-batches</source>
        <translation>批大小 %1，%2 个微批</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="385"/>
        <source>Optimizer %1</source>
        <translation>优化器 %1</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="393"/>
        <source>Training settings</source>
        <translation>训练设置</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="395"/>
        <source>The learning rate must be positive.</source>
        <translation>学习率必须为正数。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="397"/>
        <source>Train for at least one epoch or one step.</source>
        <translation>至少训练一个轮次或一步。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="399"/>
        <source>Weight stashing applies to the lpm-async schedule only.</source>
        <translation>权重暂存仅适用于 lpm-async 调度。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="401"/>
        <source>Gradient clipping is not available under %1 yet: it runs under sequential, dp and every exact schedule with one chunk per stage.</source>
        <translation>%1 调度下尚不支持梯度裁剪：它可用于 sequential、dp 以及每个阶段只有一个块的所有精确调度。</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="436"/>
        <source>Profile again on this CPU</source>
        <translation>在本机 CPU 上重新剖析</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="446"/>
        <source>Calibrate Costs on the Last Run</source>
        <translation>根据上次运行校准成本</translation>
    </message>
    <message>
        <location filename="../gui/design_model.cpp" line="450"/>
        <source>The plan has changed since the last run; run it, then calibrate.</source>
        <translation>计划自上次运行以来已更改；请先运行它，再校准。</translation>
    </message>
</context>
<context>
    <name>lpm::gui::DeviceTreeModel</name>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="110"/>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="110"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="132"/>
        <source>convolutions: %1</source>
        <translation>卷积：%1</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="134"/>
        <source>This machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="135"/>
        <source>%1, %2 usable cores, %3 GiB, BLAS kernel %4</source>
        <translation>%1，%2 个可用核心，%3 GiB，BLAS 内核 %4</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="142"/>
        <source>GPUs</source>
        <translation>GPU</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="145"/>
        <source>No GPU can be used here (%1). LPM Studio plans and trains on the CPU cores; add catalogue GPUs below to plan for them.</source>
        <translation>此处没有可用的 GPU（%1）。LPM Studio 将在 CPU 核心上规划和训练；可在下方添加目录中的 GPU 进行规划。</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="152"/>
        <source>Catalogue (simulated)</source>
        <translation>设备目录（模拟）</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="152"/>
        <source>what-if planning with data-sheet figures</source>
        <translation>基于数据手册参数的假设规划</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="165"/>
        <source>CPU core %1</source>
        <translation>CPU 核心 %1</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="165"/>
        <source>one pipeline stage, one thread</source>
        <translation>一个流水线阶段，一个线程</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="169"/>
        <source>Train on this GPU: each pipeline stage gets a CUDA stream of its own; with several GPUs checked, activations pass between them by peer copies.</source>
        <translation>在此 GPU 上训练：每个流水线阶段各有一个 CUDA 流；勾选多个 GPU 时，激活值通过点对点复制在它们之间传递。</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="174"/>
        <source>GPU %1: %2</source>
        <translation>GPU %1：%2</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="179"/>
        <source>%1 GiB, %2 multiprocessors, compute %3.%4, %5 MHz, peer access: %6</source>
        <translation>%1 GiB，%2 个多处理器，计算能力 %3.%4，%5 MHz，对等访问：%6</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="185"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="197"/>
        <source>%1 × %2 (simulated)</source>
        <translation>%1 × %2（模拟）</translation>
    </message>
    <message>
        <location filename="../gui/device_tree_model.cpp" line="198"/>
        <source>%1, %2 GB</source>
        <translation>%1，%2 GB</translation>
    </message>
</context>
<context>
    <name>lpm::gui::DevicesPanel</name>
    <message>
        <location filename="../gui/devices_panel.cpp" line="98"/>
        <source>Choose at least one device.</source>
        <translation>请至少选择一个设备。</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="115"/>
        <source>The design asks for %1 CPU stages; this machine has %2 usable cores, so stages share cores.</source>
        <translation>设计需要 %1 个 CPU 阶段；本机只有 %2 个可用核心，因此阶段将共享核心。</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="120"/>
        <source>Catalogue devices are simulated: the plan and prediction use their data sheets; training runs on CPU cores or on the stages of one of this machine&apos;s GPUs.</source>
        <translation>目录中的设备为模拟设备：计划和预测使用其数据手册；训练在 CPU 核心上或本机某一块 GPU 的各阶段上运行。</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="123"/>
        <source>The plan cuts the model with the catalogue&apos;s estimates for this GPU; each stage trains on a CUDA stream of its own.</source>
        <translation>计划按目录中该 GPU 的估算切分模型；每个阶段在各自的 CUDA 流上训练。</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="133"/>
        <source>&amp;Stages per GPU:</source>
        <translation>每块 GPU 的阶段数(&amp;S)：</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="134"/>
        <source>How many pipeline stages each checked GPU runs, one CUDA stream each</source>
        <translation>每块选中的 GPU 运行多少个流水线阶段，每个阶段一个 CUDA 流</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="135"/>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="136"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../gui/devices_panel.cpp" line="137"/>
        <source>Add GPUs from the catalogue for what-if planning</source>
        <translation>从目录添加 GPU 用于假设规划</translation>
    </message>
</context>
<context>
    <name>lpm::gui::MainWindow</name>
    <message>
        <location filename="../gui/main_window.cpp" line="104"/>
        <source>Profiling %1 on one core of this CPU…</source>
        <translation>正在本机 CPU 的一个核心上剖析 %1…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="105"/>
        <source>Profiling %1 on %2 cores of this CPU…</source>
        <translation>正在本机 CPU 的 %2 个核心上剖析 %1…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="111"/>
        <source>Profiled %1 on this CPU.</source>
        <translation>已在本机 CPU 上剖析 %1。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="115"/>
        <source>Profiling round %1 of about %2 on one core of this CPU…</source>
        <translation>正在本机 CPU 的一个核心上剖析第 %1 轮（约 %2 轮）…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="132"/>
        <source>Stopped after %1 steps.</source>
        <translation>已在 %1 步后停止。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="133"/>
        <source>Finished %1 steps in %2 s.</source>
        <translation>已完成 %1 步，用时 %2 秒。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="136"/>
        <source>Validation loss %1 nats per byte (%2 bits per byte).</source>
        <translation>验证损失 %1 奈特/字节（%2 比特/字节）。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="140"/>
        <source>Test accuracy %1.</source>
        <translation>测试准确率 %1。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="145"/>
        <source>Speedup %1× over the sequential reference; weights %2.</source>
        <translation>相对顺序基准加速 %1×；权重%2。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="148"/>
        <source>identical</source>
        <translation>完全相同</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="149"/>
        <source>differ (not an exact schedule)</source>
        <translation>不同（非精确调度）</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="157"/>
        <source>LPM Studio</source>
        <translation>LPM Studio</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="197"/>
        <location filename="../gui/main_window.cpp" line="454"/>
        <location filename="../gui/main_window.cpp" line="460"/>
        <source>Open design</source>
        <translation>打开设计</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="198"/>
        <source>LPM designs (*.lpm.json);;All files (*)</source>
        <translation>LPM 设计 (*.lpm.json);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="204"/>
        <location filename="../gui/main_window.cpp" line="630"/>
        <location filename="../gui/main_window.cpp" line="642"/>
        <source>Import ONNX model</source>
        <translation>导入 ONNX 模型</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="205"/>
        <source>ONNX models (*.onnx);;All files (*)</source>
        <translation>ONNX 模型 (*.onnx);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="214"/>
        <location filename="../gui/main_window.cpp" line="488"/>
        <source>Save design</source>
        <translation>保存设计</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="216"/>
        <source>LPM designs (*.lpm.json)</source>
        <translation>LPM 设计 (*.lpm.json)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="250"/>
        <source>Find unit</source>
        <translation>查找单元</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="250"/>
        <source>A layer&apos;s kind, settings or ONNX node name:</source>
        <translation>层的类型、设置或 ONNX 节点名称：</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="269"/>
        <source>Costs calibrated on the last run&apos;s measured stage times.</source>
        <translation>已按上次运行实测的各阶段时间校准成本。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="300"/>
        <source>About LPM Studio</source>
        <translation>关于 LPM Studio</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="301"/>
        <source>&lt;h3&gt;LPM Studio %1&lt;/h3&gt;&lt;p&gt;Designs and runs pipeline-parallel training: it cuts a network layer-wise into partitions, merges them so that devices communicate little, and runs the forward and backward passes of different micro-batches on different devices at once.&lt;/p&gt;&lt;p&gt;Built with Qt %2 and QCustomPlot.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;LPM Studio %1&lt;/h3&gt;&lt;p&gt;设计并运行流水线并行训练：按层将网络切分为若干分区，合并分区以减少设备间通信，并在不同设备上同时执行不同微批的前向和反向传播。&lt;/p&gt;&lt;p&gt;基于 Qt %2 和 QCustomPlot 构建。&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="341"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="342"/>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="343"/>
        <source>&amp;Examples</source>
        <translation>示例(&amp;E)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="345"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="346"/>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="347"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="348"/>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="349"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="350"/>
        <source>&amp;New (from the example)</source>
        <translation>新建（基于示例）(&amp;N)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="351"/>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="352"/>
        <source>&amp;Import ONNX Model…</source>
        <translation>导入 ONNX 模型(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="353"/>
        <source>Plan a network exported from PyTorch (torch.onnx.export with a symbolic batch dimension); files can also be dropped on the window</source>
        <translation>规划从 PyTorch 导出的网络（torch.onnx.export，批量维度须为符号）；也可以把文件拖到窗口上</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="355"/>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="356"/>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="357"/>
        <source>Export Timeline as Chrome Trace…</source>
        <translation>将时间线导出为 Chrome Trace…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="358"/>
        <source>Export Plot as PNG or PDF…</source>
        <translation>将图表导出为 PNG 或 PDF…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="359"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="360"/>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="361"/>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="362"/>
        <source>&amp;Auto-merge</source>
        <translation>自动合并(&amp;A)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="363"/>
        <source>&amp;Find Unit…</source>
        <translation>查找单元(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="364"/>
        <source>Find &amp;Next Unit</source>
        <translation>查找下一个单元(&amp;N)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="365"/>
        <source>Profile Again on This CPU</source>
        <translation>在本机 CPU 上重新剖析</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="366"/>
        <source>Calibrate Costs on the Last Run</source>
        <translation>根据上次运行校准成本</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="367"/>
        <source>Scale each stage&apos;s predicted times to those the last pipelined run measured</source>
        <translation>将各阶段的预测时间缩放到上次流水线运行的实测时间</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="368"/>
        <source>&amp;Start Training</source>
        <translation>开始训练(&amp;S)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="369"/>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="370"/>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="371"/>
        <source>&amp;About LPM Studio</source>
        <translation>关于 LPM Studio(&amp;A)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="372"/>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="373"/>
        <source>Plan</source>
        <translation>规划</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="374"/>
        <source>Units</source>
        <translation>单元</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="375"/>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="436"/>
        <source>example design</source>
        <translation>示例设计</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="438"/>
        <source>%1%2 — LPM Studio</source>
        <translation>%1%2 — LPM Studio</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="454"/>
        <source>The design was not opened: %1: %2</source>
        <translation>设计未打开：%1：%2</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="460"/>
        <source>The design was not opened: %1</source>
        <translation>设计未打开：%1</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="474"/>
        <source>Opened %1</source>
        <translation>已打开 %1</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="488"/>
        <source>The design was not saved: %1</source>
        <translation>设计未保存：%1</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="495"/>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="503"/>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="503"/>
        <source>Save the changes to this design first?</source>
        <translation>是否先保存对此设计的更改？</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="560"/>
        <location filename="../gui/main_window.cpp" line="563"/>
        <location filename="../gui/main_window.cpp" line="574"/>
        <source>Export timeline</source>
        <translation>导出时间线</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="560"/>
        <source>There is no timeline to export yet.</source>
        <translation>还没有可导出的时间线。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="565"/>
        <source>Chrome trace (*.json)</source>
        <translation>Chrome Trace (*.json)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="570"/>
        <source>Wrote the %1 timeline to %2 (open it in https://ui.perfetto.dev)</source>
        <translation>已将%1时间线写入 %2（可在 https://ui.perfetto.dev 中打开）</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="571"/>
        <source>measured</source>
        <translation>实测</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="571"/>
        <source>predicted</source>
        <translation>预测</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="581"/>
        <source>Device timeline</source>
        <translation>设备时间线</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="582"/>
        <source>Training loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="583"/>
        <source>Test accuracy</source>
        <translation>测试准确率</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="584"/>
        <source>Samples per second</source>
        <translation>每秒样本数</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="585"/>
        <source>Speedup, measured and predicted</source>
        <translation>加速比（实测与预测）</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="586"/>
        <source>Predicted speedup for 1 to N devices</source>
        <translation>1 到 N 个设备的预测加速比</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="602"/>
        <location filename="../gui/main_window.cpp" line="606"/>
        <location filename="../gui/main_window.cpp" line="616"/>
        <location filename="../gui/main_window.cpp" line="623"/>
        <source>Export plot</source>
        <translation>导出图表</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="602"/>
        <source>Plot to export:</source>
        <translation>要导出的图：</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="607"/>
        <source>PNG image (*.png);;PDF document (*.pdf)</source>
        <translation>PNG 图像 (*.png);;PDF 文档 (*.pdf)</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="616"/>
        <source>There is no plot named &apos;%1&apos;.</source>
        <translation>没有名为“%1”的图。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="621"/>
        <source>Wrote %1</source>
        <translation>已写入 %1</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="623"/>
        <source>Could not write %1</source>
        <translation>无法写入 %1</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="630"/>
        <source>This build has no ONNX import: install the Debian package libonnx-dev and build LPM Studio again.</source>
        <translation>此版本不含 ONNX 导入：请安装 Debian 软件包 libonnx-dev 并重新构建 LPM Studio。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="642"/>
        <source>%1 could not be imported.</source>
        <translation>无法导入 %1。</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/main_window.cpp" line="646"/>
        <source>Imported %1: %n units.</source>
        <translation>
            <numerusform>已导入 %1：%n 个单元。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="684"/>
        <source>No unit matches “%1”.</source>
        <translation>没有与“%1”匹配的单元。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="689"/>
        <source>Unit %1: %2 (%3)</source>
        <translation>单元 %1：%2（%3）</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="698"/>
        <location filename="../gui/main_window.cpp" line="706"/>
        <location filename="../gui/main_window.cpp" line="712"/>
        <source>Start training</source>
        <translation>开始训练</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="698"/>
        <source>This model cannot be trained yet: %1. It can be planned, and its schedules predicted and compared.</source>
        <translation>此模型尚不能训练：%1。目前可以对它做规划，并预测和比较各种调度。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="706"/>
        <source>These devices cannot train: %1.

Choose CPU cores, or one of this machine&apos;s GPUs, in the devices panel.</source>
        <translation>这些设备无法训练：%1。

请在设备面板中选择 CPU 核心或本机的某一块 GPU。</translation>
    </message>
    <message>
        <location filename="../gui/main_window.cpp" line="728"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
</context>
<context>
    <name>lpm::gui::MetricPlots</name>
    <message>
        <location filename="../gui/metric_plots.cpp" line="295"/>
        <source>n/a</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="297"/>
        <source>not yet</source>
        <translation>尚无</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="298"/>
        <source>Speedup over sequential: measured %1, predicted %2</source>
        <translation>相对顺序训练的加速比：实测 %1，预测 %2</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="303"/>
        <source>Against epochs</source>
        <translation>按轮次</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="304"/>
        <source>Against wall time</source>
        <translation>按实际时间</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="305"/>
        <source>wall time (s)</source>
        <translation>实际时间（秒）</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="305"/>
        <source>epochs</source>
        <translation>轮次</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="308"/>
        <location filename="../gui/metric_plots.cpp" line="315"/>
        <source>pipelined</source>
        <translation>流水线</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="309"/>
        <location filename="../gui/metric_plots.cpp" line="316"/>
        <source>sequential reference</source>
        <translation>顺序基准</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="317"/>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="318"/>
        <source>test accuracy</source>
        <translation>测试准确率</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="319"/>
        <source>samples/s</source>
        <translation>样本/秒</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="320"/>
        <source>measured</source>
        <translation>实测</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="321"/>
        <location filename="../gui/metric_plots.cpp" line="325"/>
        <source>predicted</source>
        <translation>预测</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="322"/>
        <source>speedup (×)</source>
        <translation>加速比（×）</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="323"/>
        <source>devices</source>
        <translation>设备数</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="324"/>
        <source>predicted speedup (×)</source>
        <translation>预测加速比（×）</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="326"/>
        <source>linear</source>
        <translation>线性</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="336"/>
        <source>test set</source>
        <translation>测试集</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="337"/>
        <source>test set (reference)</source>
        <translation>测试集（基准）</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="338"/>
        <source>training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="339"/>
        <source>training (reference)</source>
        <translation>训练（基准）</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="341"/>
        <source>test subset (%1 samples)</source>
        <translation>测试子集（%1 个样本）</translation>
    </message>
    <message>
        <location filename="../gui/metric_plots.cpp" line="342"/>
        <source>test subset (reference)</source>
        <translation>测试子集（基准）</translation>
    </message>
</context>
<context>
    <name>lpm::gui::NetworkView</name>
    <message>
        <location filename="../gui/network_view.cpp" line="80"/>
        <source>out %1</source>
        <translation>输出 %1</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="81"/>
        <source>%1 params</source>
        <translation>%1 个参数</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="82"/>
        <source>%1 MFLOP fwd</source>
        <translation>前向 %1 MFLOP</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="233"/>
        <source>Unit %1 on %2: forward %3 ms, backward %4 ms per micro-batch of %5</source>
        <translation>单元 %1 在 %2 上：每个大小为 %5 的微批前向 %3 毫秒，反向 %4 毫秒</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="243"/>
        <source>stage %1 · %2</source>
        <translation>阶段 %1 · %2</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="250"/>
        <source> · %1 ms/micro-batch</source>
        <translation> · %1 毫秒/微批</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="253"/>
        <source> · over memory</source>
        <translation> · 超出内存</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="279"/>
        <source>Profiling %1 on one core of this CPU…</source>
        <translation>正在本机 CPU 的一个核心上剖析 %1…</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="342"/>
        <source>Hide the ONNX nodes of unit %1</source>
        <translation>隐藏单元 %1 的 ONNX 节点</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="343"/>
        <source>Show the ONNX nodes of unit %1</source>
        <translation>显示单元 %1 的 ONNX 节点</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="350"/>
        <source>Split stage %1 before unit %2</source>
        <translation>在单元 %2 之前拆分阶段 %1</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="354"/>
        <source>Merge stage %1 with the next</source>
        <translation>将阶段 %1 与下一阶段合并</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="359"/>
        <source>Merge stages %1 and %2</source>
        <translation>合并阶段 %1 和 %2</translation>
    </message>
    <message>
        <location filename="../gui/network_view.cpp" line="363"/>
        <source>Auto-merge</source>
        <translation>自动合并</translation>
    </message>
</context>
<context>
    <name>lpm::gui::PlanPanel</name>
    <message>
        <location filename="../gui/plan_panel.cpp" line="175"/>
        <source>A layer-wise cut on these %1 devices runs at most %2× faster than sequential</source>
        <translation>在这 %1 个设备上，逐层切分最多比顺序训练快 %2×</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="182"/>
        <source>unit %1 %2</source>
        <translation>单元 %1 %2</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="183"/>
        <source>unit %1</source>
        <translation>单元 %1</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="190"/>
        <source>%1: the work divides evenly over %2 devices.</source>
        <translation>%1：计算量可均匀分到 %2 个设备上。</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="192"/>
        <source>%1, held back by %2 (%3 % of the work).</source>
        <translation>%1，受限于 %2（占计算量的 %3 %）。</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="196"/>
        <source>%1, held back by the link %2 → %3 at the cut after %4 (%5 ms of transfers per micro-batch).</source>
        <translation>%1，受限于 %4 之后切分处的链路 %2 → %3（每个微批传输 %5 毫秒）。</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="206"/>
        <source>%1, held back by stage %2 (units %3–%4 on %5): the units do not divide more evenly.</source>
        <translation>%1，受限于阶段 %2（%5 上的单元 %3–%4）：单元无法更均匀地划分。</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="238"/>
        <source>Profiling %1 on one core of this CPU…</source>
        <translation>正在本机 CPU 的一个核心上剖析 %1…</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="240"/>
        <source>No prediction: %1</source>
        <translation>无法预测：%1</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="242"/>
        <source>Predicted: iteration %1 ms · %2 samples/s · speedup %3× over sequential on %4 · bubble %5 %</source>
        <translation>预测：每次迭代 %1 毫秒 · %2 样本/秒 · 相对 %4 上的顺序训练加速 %3× · 气泡 %5 %</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="256"/>
        <source>Use schedule %1: predicted %2× faster than sequential</source>
        <translation>采用调度 %1：预测比顺序训练快 %2×</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="259"/>
        <source>%1 is predicted at %2 ms per iteration, against %3 ms for %4 (undoable)</source>
        <translation>%1 预测每次迭代 %2 毫秒，%4 为 %3 毫秒（可撤销）</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="271"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="271"/>
        <source>Schedule</source>
        <translation>调度</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="271"/>
        <source>Partitioner</source>
        <translation>划分器</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="271"/>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="271"/>
        <source>Micro-batches</source>
        <translation>微批数</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="272"/>
        <source>Optimizer</source>
        <translation>优化器</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="273"/>
        <source>Auto-merge</source>
        <translation>自动合并</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="274"/>
        <source>Compare schedules…</source>
        <translation>比较调度…</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="275"/>
        <source>Predict every schedule on these devices and pick one</source>
        <translation>在这些设备上预测每种调度并从中选择</translation>
    </message>
    <message>
        <location filename="../gui/plan_panel.cpp" line="276"/>
        <source>Cut the model anew with the chosen partitioner</source>
        <translation>用所选划分器重新切分模型</translation>
    </message>
</context>
<context>
    <name>lpm::gui::ScheduleComparisonDialog</name>
    <message>
        <location filename="../gui/schedule_comparison_dialog.cpp" line="22"/>
        <source>Compare schedules</source>
        <translation>比较调度</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_dialog.cpp" line="23"/>
        <source>Every schedule predicted on these devices, each with its own cut. Bold: the fastest exact schedule that fits the devices&apos; memory.</source>
        <translation>在这些设备上预测的每种调度，各自使用自己的切分。粗体：能放入设备内存的最快精确调度。</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_dialog.cpp" line="73"/>
        <source>Use schedule</source>
        <translation>使用调度</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_dialog.cpp" line="74"/>
        <source>Use %1 with recomputation</source>
        <translation>使用 %1（带重计算）</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_dialog.cpp" line="75"/>
        <source>Use %1 with replicated stages</source>
        <translation>使用 %1（复制阶段）</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_dialog.cpp" line="76"/>
        <source>Use %1</source>
        <translation>使用 %1</translation>
    </message>
</context>
<context>
    <name>lpm::gui::ScheduleComparisonModel</name>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="67"/>
        <source>not planned: %1</source>
        <translation>无法规划：%1</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="78"/>
        <source>%1 of %2</source>
        <translation>%1，容量 %2</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="57"/>
        <location filename="../gui/schedule_comparison_model.cpp" line="81"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="57"/>
        <location filename="../gui/schedule_comparison_model.cpp" line="81"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="60"/>
        <source>searched</source>
        <translation>已搜索</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="118"/>
        <source>Schedule</source>
        <translation>调度</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="120"/>
        <source>Recompute</source>
        <translation>重计算</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="122"/>
        <source>Cores</source>
        <translation>核心</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="124"/>
        <source>Iteration ms</source>
        <translation>迭代 ms</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="126"/>
        <source>Speedup</source>
        <translation>加速比</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="128"/>
        <source>Bubble</source>
        <translation>气泡</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="130"/>
        <source>Largest stage memory</source>
        <translation>最大阶段内存</translation>
    </message>
    <message>
        <location filename="../gui/schedule_comparison_model.cpp" line="132"/>
        <source>Exact</source>
        <translation>精确</translation>
    </message>
</context>
<context>
    <name>lpm::gui::StageTableModel</name>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="118"/>
        <source>%1 of %2</source>
        <translation>%1，容量 %2</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="156"/>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="156"/>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="156"/>
        <source>Units</source>
        <translation>单元</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="156"/>
        <source>F+B ms</source>
        <translation>前向+反向 毫秒</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="156"/>
        <source>Comm ms</source>
        <translation>通信 毫秒</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="157"/>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="157"/>
        <source>Busy</source>
        <translation>忙碌</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="157"/>
        <source>R</source>
        <translation>重算</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="157"/>
        <source>Cores</source>
        <translation>核心</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="161"/>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="162"/>
        <source>The device the stage runs on</source>
        <translation>该阶段运行所在的设备</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="163"/>
        <source>The model&apos;s units (layers) in the stage, first–last</source>
        <translation>该阶段包含的模型单元（层），首–末</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="164"/>
        <source>Forward and backward time per micro-batch (ms)</source>
        <translation>每个微批的前向与反向时间（毫秒）</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="165"/>
        <source>Transfer time per micro-batch: activations in, gradients out (ms)</source>
        <translation>每个微批的传输时间：激活传入、梯度传出（毫秒）</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="166"/>
        <source>Memory the stage needs / the device&apos;s capacity (red: it does not fit)</source>
        <translation>该阶段所需内存 / 设备容量（红色：放不下）</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="168"/>
        <source>Share of the iteration the device is busy (%)</source>
        <translation>设备在一次迭代中忙碌的比例（%）</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="169"/>
        <source>Recompute: the stage keeps only its input per micro-batch in flight and runs its forward again before each backward (less memory, one forward more; the weights stay exact)</source>
        <translation>重计算：该阶段对每个在途微批次只保留其输入，并在每次反向传播前再次运行前向传播（内存更少，多一次前向；权重保持精确）</translation>
    </message>
    <message>
        <location filename="../gui/stage_table_model.cpp" line="172"/>
        <source>CPU cores the stage runs on: more than one replicates it, each micro-batch&apos;s samples split among them (the weights stay exact)</source>
        <translation>阶段运行所用的 CPU 核心：多于一个即复制该阶段，每个微批次的样本在它们之间划分（权重保持精确）</translation>
    </message>
</context>
<context>
    <name>lpm::gui::StudioController</name>
    <message>
        <location filename="../gui/studio_controller.cpp" line="65"/>
        <location filename="../gui/studio_controller.cpp" line="90"/>
        <source>A run or a profile is already in progress.</source>
        <translation>已有训练或剖析正在进行。</translation>
    </message>
</context>
<context>
    <name>lpm::gui::TimelinePlot</name>
    <message>
        <location filename="../gui/timeline_plot.cpp" line="105"/>
        <source>Predicted (outlined)</source>
        <translation>预测（空心）</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/timeline_plot.cpp" line="106"/>
        <source>Measured (filled, last %n mini-batch(es))</source>
        <translation>
            <numerusform>实测（实心，最近 %n 个小批）</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/timeline_plot.cpp" line="107"/>
        <source>predicted</source>
        <translation>预测</translation>
    </message>
    <message>
        <location filename="../gui/timeline_plot.cpp" line="108"/>
        <source>measured</source>
        <translation>实测</translation>
    </message>
    <message>
        <location filename="../gui/timeline_plot.cpp" line="109"/>
        <source>time (ms)</source>
        <translation>时间（毫秒）</translation>
    </message>
    <message>
        <location filename="../gui/timeline_plot.cpp" line="110"/>
        <source>blue: forward, green: backward (its input half where W follows), teal: weight gradients (W), orange: update, purple: all-reduce · numbers are micro-batches · gaps are bubbles</source>
        <translation>蓝色：前向，绿色：反向（其后有 W 时为输入梯度部分），青色：权重梯度（W），橙色：更新，紫色：全归约 · 数字为微批编号 · 空隙即气泡</translation>
    </message>
</context>
<context>
    <name>lpm::gui::TrainingPanel</name>
    <message>
        <location filename="../gui/training_panel.cpp" line="123"/>
        <source>Text to train the language model on (any file, read as bytes)</source>
        <translation>用于训练语言模型的文本（任意文件，按字节读取）</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="135"/>
        <source>Folder with the four MNIST-format IDX files</source>
        <translation>包含四个 MNIST 格式 IDX 文件的文件夹</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="253"/>
        <source>reference %p%</source>
        <translation>基准 %p%</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="253"/>
        <source>%p%</source>
        <translation>%p%</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="255"/>
        <source>step %1 of %2 · epoch %3 · loss %4 · %5 samples/s · %6 left</source>
        <translation>第 %1 步（共 %2 步）· 第 %3 轮 · 损失 %4 · %5 样本/秒 · 剩余 %6</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="268"/>
        <source>After step %1: test subset loss %2 nats per byte (%3 bits per byte, perplexity %4).</source>
        <translation>第 %1 步后：测试子集损失 %2 奈特/字节（%3 比特/字节，困惑度 %4）。</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="276"/>
        <source>Its text after step %1:</source>
        <translation>第 %1 步后它生成的文本：</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="303"/>
        <source>Fashion-MNIST</source>
        <translation>Fashion-MNIST</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="304"/>
        <source>Synthetic (seeded, fast)</source>
        <translation>合成数据（固定种子，快速）</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="305"/>
        <source>Text: the Jargon File</source>
        <translation>文本：Jargon File</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="306"/>
        <source>MNIST-format folder…</source>
        <translation>MNIST 格式文件夹…</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="307"/>
        <source>Text file…</source>
        <translation>文本文件…</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="308"/>
        <source>Constant</source>
        <translation>恒定</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="309"/>
        <source>Cosine, after warm-up</source>
        <translation>预热后余弦衰减</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="311"/>
        <source>Cosine: the rate rises linearly over the warm-up steps, then falls along a cosine to a tenth of itself at the run&apos;s last step.</source>
        <translation>余弦：学习率在预热步数内线性上升，然后沿余弦曲线下降，到运行的最后一步时降为原来的十分之一。</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="313"/>
        <source>Scales the gradients down to this global norm before each update (all stages agree on the norm first, so exact schedules stay exact); 0: no clipping.</source>
        <translation>每次更新前把梯度按比例缩小到这个全局范数（所有阶段先就范数达成一致，因此精确调度仍然精确）；0：不裁剪。</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="318"/>
        <source>Clip norm (0: off)</source>
        <translation>裁剪范数（0：关闭）</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="317"/>
        <source>Data set</source>
        <translation>数据集</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="317"/>
        <source>Epochs</source>
        <translation>轮数</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="317"/>
        <source>Steps (0: whole epochs)</source>
        <translation>步数（0：按完整轮次）</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="317"/>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="318"/>
        <source>Warm-up steps</source>
        <translation>预热步数</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="318"/>
        <source>Weight decay</source>
        <translation>权重衰减</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="318"/>
        <source>Rate schedule</source>
        <translation>学习率调度</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="318"/>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="319"/>
        <source>Also run the sequential reference (for the speedup)</source>
        <translation>同时运行顺序基准（用于计算加速比）</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="320"/>
        <source>Weight stashing (lpm-async)</source>
        <translation>权重暂存（lpm-async）</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="321"/>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="322"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../gui/training_panel.cpp" line="323"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>lpm::gui::TrainingWorker</name>
    <message>
        <location filename="../gui/training_worker.cpp" line="21"/>
        <source>Loading %1…</source>
        <translation>正在加载%1…</translation>
    </message>
    <message>
        <location filename="../gui/training_worker.cpp" line="23"/>
        <source>Training %1 under %2…</source>
        <translation>正在以 %2 调度训练 %1…</translation>
    </message>
    <message>
        <location filename="../gui/training_worker.cpp" line="26"/>
        <source>Training the sequential reference…</source>
        <translation>正在训练顺序参考…</translation>
    </message>
    <message>
        <location filename="../gui/training_worker.cpp" line="34"/>
        <source>Fashion-MNIST</source>
        <translation>Fashion-MNIST</translation>
    </message>
    <message>
        <location filename="../gui/training_worker.cpp" line="36"/>
        <source>the synthetic data set</source>
        <translation>合成数据集</translation>
    </message>
</context>
<context>
    <name>lpm::gui::UnitTableModel</name>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="123"/>
        <source>A unit of the zoo&apos;s model: it has no ONNX nodes.</source>
        <translation>模型库中模型的单元：没有 ONNX 节点。</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="103"/>
        <source>ONNX nodes:</source>
        <translation>ONNX 节点：</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/unit_table_model.cpp" line="107"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… 另有 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="163"/>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="165"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="167"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="169"/>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="171"/>
        <source>Params</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="173"/>
        <source>MFLOP</source>
        <translation>MFLOP</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="175"/>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="177"/>
        <source>F+B ms</source>
        <translation>前向+反向 ms</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="179"/>
        <source>Nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="187"/>
        <source>Trained parameters of the unit</source>
        <translation>该单元中训练的参数个数</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="189"/>
        <source>Forward MFLOP per sample (a multiply–add counts as 2)</source>
        <translation>每个样本的前向 MFLOP（一次乘加计为 2）</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="191"/>
        <source>The pipeline stage that holds the unit</source>
        <translation>包含该单元的流水线阶段</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="193"/>
        <source>Forward plus backward per micro-batch on its stage&apos;s device, from the profile or the catalogue</source>
        <translation>在其阶段设备上每个微批次的前向加反向时间，来自性能剖析或设备目录</translation>
    </message>
    <message>
        <location filename="../gui/unit_table_model.cpp" line="196"/>
        <source>An imported unit&apos;s ONNX nodes (the names in each cell&apos;s tooltip)</source>
        <translation>导入单元的 ONNX 节点（名称见各单元格的提示）</translation>
    </message>
</context>
<context>
    <name>lpm::gui::UnitsPanel</name>
    <message>
        <location filename="../gui/units_panel.cpp" line="97"/>
        <source>%1 of %2 units shown</source>
        <translation>显示 %1 个单元，共 %2 个</translation>
    </message>
    <message>
        <location filename="../gui/units_panel.cpp" line="102"/>
        <source>Filter by kind, settings or ONNX node name</source>
        <translation>按类型、设置或 ONNX 节点名称筛选</translation>
    </message>
    <message>
        <location filename="../gui/units_panel.cpp" line="103"/>
        <source>Keeps the units whose kind, settings or ONNX node names contain this text</source>
        <translation>只保留类型、设置或 ONNX 节点名称包含此文本的单元</translation>
    </message>
</context>
</TS>
