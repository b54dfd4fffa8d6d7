import { estimateSavings } from '../../src/reports/savings';

/** The estimate's arithmetic on counts written here; the route and page are tested with real calls in variants-calls.test.ts. */
describe('estimateSavings', () => {
  const costs = { voiceMinute: 0.9, handleMinutes: 8, chat: 3, text: 0.01 };

  it('counts a clicked call as a voice call avoided at the price of a chat, and every text sent as a cost', () => {
    // 40 × 8 × 0.90 = 288; chats 40 × 3 = 120; texts 100 × 0.01 = 1; net 167, 4.175 → 4.18 per call moved.
    expect(estimateSavings({ linksClicked: 40, textsSent: 100 }, costs)).toEqual({
      inputs: costs,
      deflected: 40,
      textsSent: 100,
      voiceCostAvoided: 288,
      chatCost: 120,
      textCost: 1,
      net: 167,
      netPerDeflectedCall: 4.18,
    });
  });

  it('shows a loss when texts went out and nobody moved to chat, with no per-call figure', () => {
    const none = estimateSavings({ linksClicked: 0, textsSent: 30 }, costs);
    expect([none.net, none.netPerDeflectedCall]).toEqual([-0.3, null]);
    expect(Object.is(estimateSavings({ linksClicked: 0, textsSent: 0 }, costs).net, -0)).toBe(false);
  });
});
