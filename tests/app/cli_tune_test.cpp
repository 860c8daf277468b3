// slimlab-cli tune end to end: a budget fitted against the uniform setting, bad input refused in
// one line with nothing stored, and a plan fine-tuned as a child run that keeps it.
#include <fstream>

#include "cli_fixture.h"

using namespace slimlab::testing;

TEST_F(CliTest, TuneFitsABudgetComparesTheUniformSettingAndFineTunesThePlan) {
  ASSERT_EQ(cli("run " + preset("mlp-spirals.json") + " " + kQuickSpirals).exit_code, 0);
  auto r = cli("tune 1 --target params=0.3 --methods prune,lowrank --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.last_json();
  EXPECT_EQ(j["split"], "validation");
  EXPECT_LE(j["plan_metrics"]["params"].get<int64_t>(), j["budget"]["limit"].get<int64_t>());
  EXPECT_EQ(j["uniform"].size(), 2u);
  EXPECT_FALSE(j["curves"]["points"].empty());
  // The printed table says the same.
  auto text = cli("tune 1 --target params=0.3");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("uniform prune sparsity"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Budget params=0.3"), std::string::npos) << text.out;

  // Bad input: one line naming what is wrong, nothing stored.
  auto impossible = cli("tune 1 --target params=0.001");
  EXPECT_EQ(impossible.exit_code, 2);
  EXPECT_NE(impossible.err.find("--target: params=0.001 cannot be met"), std::string::npos)
      << impossible.err;
  EXPECT_EQ(cli("tune 1").exit_code, 2);
  auto bytes = cli("tune 1 --target bytes=0.5");  // Pruning alone saves no bytes: said at once.
  EXPECT_EQ(bytes.exit_code, 2);
  EXPECT_NE(bytes.err.find("needs a method that reduces bytes"), std::string::npos) << bytes.err;
  EXPECT_NE(cli("tune 1 --target params=0.3 --plan x.json").err.find("not both"),
            std::string::npos);
  EXPECT_NE(cli("tune 1 --target params=0.3 --finetune-steps 5").err.find("goes with --apply"),
            std::string::npos);
  EXPECT_NE(cli("tune 1 --target parms=0.3").err.find("did you mean params?"), std::string::npos);
  EXPECT_NE(
      cli("tune 1 --target params=0.3 --methods prune,lowrnk").err.find("did you mean lowrank?"),
      std::string::npos);
  EXPECT_NE(cli("tune 1 --target params=0.3 --apply").err.find("--apply needs --finetune-steps"),
            std::string::npos);
  std::ofstream(dir_.file("bad-plan.json")) << R"({"layers": {"layers.9": {"bits": 4}}})";
  auto bad_plan = cli("tune 1 --plan " + dir_.file("bad-plan.json"));
  EXPECT_EQ(bad_plan.exit_code, 2);
  EXPECT_NE(bad_plan.err.find(dir_.file("bad-plan.json") + ".layers.layers.9"), std::string::npos)
      << bad_plan.err;
  EXPECT_EQ(cli("list --json").last_json().size(), 1u);

  // --apply: a child run of run 1 that keeps the plan.
  std::ofstream(dir_.file("plan.json")) << R"({"layers": {"layers.2": {"sparsity": 0.5}}})";
  auto applied = cli("tune 1 --plan " + dir_.file("plan.json") +
                     " --apply --finetune-steps 30 --json --quiet");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto a = applied.last_json();
  EXPECT_EQ(a["applied"]["status"], "finished");
  auto show = cli("show " + std::to_string(a["applied"]["run_id"].get<int64_t>()));
  EXPECT_NE(show.out.find("Tune plan (plan)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("sparsity 0.50"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find(", dense run 1 "), std::string::npos) << show.out;  // Its parent.
}
