#include "analyzer/service.h"

namespace lineup::analyzer {

Result<std::unique_ptr<AnalyzerService>> AnalyzerService::Start(store::EventLog& log,
                                                                AnalyzerConfig config,
                                                                std::string consumer) {
  if (auto valid = Validate(config); !valid) return tl::unexpected(valid.error());
  auto service = std::make_unique<AnalyzerService>();
  service->analyzer_ = std::make_unique<Analyzer>(std::move(config));
  Analyzer* a = service->analyzer_.get();
  auto fold = store::FoldService::Start(
      log, std::move(consumer),
      [a](const store::RecordedEvent& e, std::vector<store::Event>& out) { a->Apply(e, out); });
  if (!fold) return tl::unexpected(fold.error());
  service->service_ = std::move(*fold);
  return service;
}

}  // namespace lineup::analyzer
