//! Every file a run or a gate writes: charts, the HTML report, the gate's summaries.

pub mod charts;
pub mod gate_outputs;
pub mod outputs;
pub mod report_html;
