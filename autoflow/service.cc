#include "autoflow/service.h"
#include "autoflow/policy_record.h"

namespace lineup::autoflow {

Result<std::unique_ptr<ControllerService>> ControllerService::Start(
    store::EventLog& log, std::unique_ptr<Actuator> actuator, const Clock& clock,
    std::string consumer) {
  auto service = std::make_unique<ControllerService>();
  service->controller_ = std::make_unique<Controller>();
  service->queue_ = std::make_unique<ActuatorQueue>(std::move(actuator), clock);
  Controller* c = service->controller_.get();
  ActuatorQueue* q = service->queue_.get();
  auto fold = store::FoldService::Start(
      log, std::move(consumer),
      [c](const store::RecordedEvent& e, std::vector<store::Event>& out) { c->Apply(e, out); },
      [q](const std::vector<store::Event>& written) {
        for (const auto& e : written) q->Push(e);
      });
  if (!fold) return tl::unexpected(fold.error());
  service->service_ = std::move(*fold);
  return service;
}

ControllerService::~ControllerService() { Stop(); }

void ControllerService::Stop() {
  if (service_) service_->Stop();
}

std::vector<std::pair<std::string, Assignment>> ControllerService::Assignments() const {
  return service_->Locked([&] {
    std::vector<std::pair<std::string, Assignment>> out;
    if (!controller_->policy()) return out;
    for (const auto& c : controller_->policy()->classes) {
      if (const Assignment* a = controller_->Current(c.name)) out.emplace_back(c.name, *a);
    }
    return out;
  });
}

std::vector<LineDampingState> ControllerService::Damping(WallTime now) const {
  return service_->Locked([&] { return controller_->DampingStates(now); });
}

Result<bool> RecordPolicy(store::EventLog& log, const std::string& name, const LoadedConfig& config,
                          WallTime now) {
  std::optional<store::PolicyChanged> last;
  auto read = log.ReadStream(std::string(store::kPolicyStream), 0, [&](const store::LogEntry& e) {
    if (e.event) {
      if (const auto* p = std::get_if<store::PolicyChanged>(&e.event->event.payload)) last = *p;
    }
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  store::PolicyChanged now_in_force = PolicyEvent(name, config);
  if (last && last->document == now_in_force.document && last->policy == now_in_force.policy) {
    return false;
  }
  store::Event e{now, std::string(store::kPolicyStream), std::move(now_in_force), {}, {}};
  auto appended = log.Append(std::vector<store::Event>{e});
  if (!appended) return tl::unexpected(appended.error());
  return true;
}

}  // namespace lineup::autoflow
